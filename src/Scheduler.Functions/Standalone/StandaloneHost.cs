using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Functions.Dashboard;

namespace Scheduler.Functions.Standalone;

/// <summary>
/// The same app without Azure Functions Core Tools: a generic host with the same registrations and a loop that
/// calls the same tick. The repository's app starts Azurite first when it is not running (Scheduler.App).
/// </summary>
internal static class StandaloneHost
{
    public const string Flag = "--standalone";

    /// <param name="addJobs">The app's jobs, and any service it replaces (the reliability harness swaps in a queue client that delivers twice).</param>
    public static async Task<int> RunAsync(string[] args, Action<SchedulerBuilder> addJobs)
    {
        var settings = LocalSettings.ReadValues(Path.Combine(AppContext.BaseDirectory, LocalSettings.FileName));
        var hostArgs = args.Where(a => a is not Flag).ToArray();
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

        SchedulerBuilder jobs;
        try
        {
            jobs = builder.Services.AddScheduler(builder.Configuration);
        }
        catch (Exception ex) when (ex is Microsoft.Extensions.Options.OptionsValidationException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {ex.Message}"); // a setting out of range, named: fix it and start again
            return 1;
        }

        Telemetry.TelemetryWiring.AddSchedulerTelemetry(builder.Services, builder.Configuration, functionsWorker: false);
        addJobs(jobs);
        builder.Services.AddHostedService<StandaloneTickLoop>();
        builder.Services.AddHostedService<LayoutMigrationService>();
        builder.Services.AddHostedService<StandaloneQueueRunner>(); // Queue dispatch only
        builder.Services.AddSchedulerDashboard(builder.Configuration);
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
        var configuration = LocalSettings.Layered(settings, args);
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
}
