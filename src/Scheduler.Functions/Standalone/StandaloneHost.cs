using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Scheduler.Development;
using Scheduler.Hosting;
using Scheduler.Functions.Dashboard;

namespace Scheduler.Functions.Standalone;

/// <summary>
/// The same app without Azure Functions Core Tools: a generic host with the same registrations and a loop that
/// calls the same tick. With development storage and nothing on Azurite's ports, it starts Azurite itself.
/// </summary>
public static class StandaloneHost
{
    public const string Flag = "--standalone";
    public const string SeedFlag = "--seed-demo";

    /// <param name="addJobs">Jobs beyond the app's own: the reliability harness adds its probe and poison jobs here.</param>
    /// <param name="configure">Last word on the services: the reliability harness swaps in a queue client that delivers twice.</param>
    public static async Task<int> RunAsync(string[] args, Action<SchedulerBuilder>? addJobs = null, Action<IServiceCollection>? configure = null)
    {
        var settings = LocalSettings.ReadValues(Path.Combine(AppContext.BaseDirectory, LocalSettings.FileName));
        var hostArgs = args.Where(a => a is not Flag and not SeedFlag).ToArray();
        string? dashboardUrl;
        try
        {
            dashboardUrl = DashboardUrl(settings, hostArgs);
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }

        // With a dashboard the host also serves HTTP (the same paths as the Function App); without one it opens no port.
        var web = dashboardUrl is null ? null : WebApplication.CreateBuilder(new WebApplicationOptions { Args = hostArgs, ContentRootPath = AppContext.BaseDirectory });
        IHostApplicationBuilder builder = web is not null ? web : Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = hostArgs, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = settings });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Azure", LogLevel.Warning).AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        AzuriteProcess? started;
        try
        {
            started = await StartAzuriteIfNeededAsync(builder.Configuration);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // A start-up problem a person fixes (a port taken, Node.js missing): one line, not a stack trace.
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }

        await using var azurite = started;
        if (azurite is not null)
        {
            builder.Configuration["SchedulerStorage"] = azurite.ConnectionString;
        }

        SchedulerBuilder jobs;
        try
        {
            jobs = builder.Services.AddSchedulerApp(builder.Configuration);
        }
        catch (Exception ex) when (ex is Microsoft.Extensions.Options.OptionsValidationException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {ex.Message}"); // a setting out of range, named: fix it and start again
            return 1;
        }

        Telemetry.TelemetryWiring.AddSchedulerTelemetry(builder.Services, builder.Configuration, functionsWorker: false);
        addJobs?.Invoke(jobs);
        builder.Services.AddSingleton(new StandaloneOptions(args.Contains(SeedFlag)));
        builder.Services.AddSingleton<DemoSeeder>();
        builder.Services.AddHostedService<StandaloneTickLoop>();
        builder.Services.AddHostedService<StandaloneQueueRunner>(); // Queue dispatch only
        builder.Services.AddSchedulerDashboard(builder.Configuration);
        configure?.Invoke(builder.Services);
        if (web is null)
        {
            using var host = ((HostApplicationBuilder)builder).Build();
            await host.RunAsync();
            return 0;
        }

        web.WebHost.UseUrls(dashboardUrl!);
        await using var app = web.Build();
        app.Map(Dashboard.Html.Base, (HttpContext context, DashboardEndpoint endpoint) => endpoint.HandleAsync(context));
        app.Map(Dashboard.Html.Base + "/{**path}", (HttpContext context, DashboardEndpoint endpoint) => endpoint.HandleAsync(context));
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            Console.WriteLine($"Dashboard: {string.Join(", ", addresses.Select(a => a.TrimEnd('/') + Dashboard.Html.Base))}");
        });
        try
        {
            await app.RunAsync();
        }
        catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"error: the dashboard cannot listen on {dashboardUrl}: {ex.Message}; stop the program using it or set Scheduler:Dashboard:Url to another port");
            return 1;
        }

        return 0;
    }

    /// <summary>Scheduler:Dashboard:Url from local.settings.json, the environment and the arguments: null for none; loopback addresses only.</summary>
    private static string? DashboardUrl(IDictionary<string, string?> settings, string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).AddEnvironmentVariables().AddCommandLine(args).Build();
        var url = configuration[DashboardOptions.Section + ":Url"]?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp
            || !(uri.IsLoopback || uri.Host == "localhost") || uri.AbsolutePath != "/")
        {
            throw new InvalidOperationException($"Scheduler:Dashboard:Url is \"{url}\"; use a loopback http address with a port and no path, such as http://127.0.0.1:7071 (the standalone host serves this machine only)");
        }

        return url;
    }

    private static async Task<AzuriteProcess?> StartAzuriteIfNeededAsync(IConfiguration configuration)
    {
        var storage = configuration["SchedulerStorage"];
        if (!string.Equals(storage?.Trim(), "UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        int[] ports = [AzuriteProcess.DefaultBlobPort, AzuriteProcess.DefaultQueuePort, AzuriteProcess.DefaultTablePort];
        var taken = ports.Where(AzuriteProcess.IsListening).ToList();
        if (taken.Count == ports.Length)
        {
            return null; // an Azurite (or the storage emulator) already runs
        }

        if (taken.Count > 0)
        {
            throw new InvalidOperationException(
                $"port{(taken.Count == 1 ? "" : "s")} {string.Join(" and ", taken)} {(taken.Count == 1 ? "is" : "are")} in use by another program, so Azurite cannot start on " +
                $"{string.Join(", ", ports)} (blob, queue, table); stop that program, start Azurite yourself on all three ports, or set SchedulerStorage in local.settings.json to a storage account's connection string");
        }

        var root = AzuriteProcess.FindRepositoryRoot(Directory.GetCurrentDirectory()) ?? AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("Development storage is configured and nothing listens on Azurite's ports, and no repository (package.json next to Scheduler.sln) was found to start Azurite from; start Azurite yourself or run from the repository.");
        Console.WriteLine($"Starting Azurite from {root}/node_modules (data in {Path.Combine(root, ".azurite")})");
        return await AzuriteProcess.StartAsync(root, Path.Combine(root, ".azurite"),
            AzuriteProcess.DefaultBlobPort, AzuriteProcess.DefaultQueuePort, AzuriteProcess.DefaultTablePort);
    }
}
