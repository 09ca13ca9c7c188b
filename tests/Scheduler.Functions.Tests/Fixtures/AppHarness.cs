using Scheduler.App;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Functions.Functions;

namespace Scheduler.Functions.Tests.Fixtures;

/// <summary>The Function App's own registration (AddSchedulerApp) over Azurite, with tables under a per-test prefix.</summary>
internal sealed class AppHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private AppHarness(ServiceProvider provider, string prefix)
    {
        _provider = provider;
        Prefix = prefix;
    }

    public string Prefix { get; }
    public IServiceProvider Services => _provider;
    public SchedulerTables Tables => _provider.GetRequiredService<SchedulerTables>();
    public StateStore States => _provider.GetRequiredService<StateStore>();
    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    public static async Task<AppHarness> StartAsync(AzuriteFixture azurite, params (string Key, string Value)[] settings)
    {
        var prefix = "f" + Guid.NewGuid().ToString("N")[..10];
        var values = new Dictionary<string, string?>
        {
            ["SchedulerStorage"] = azurite.ConnectionString,
            ["Scheduler:Tables:Prefix"] = prefix,
            ["Scheduler:TickSchedule"] = "*/1 * * * * *",
            ["Scheduler:PreciseFiring"] = "false",
            ["Scheduler:Queue"] = prefix + "-occurrences",
            ["Scheduler:Inputs:AllowedContainers"] = prefix + "in",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddScheduler(configuration).AddDemoJobs();
        services.AddTransient<SchedulerTick>().AddTransient<RunOccurrence>().AddTransient<RecordPoisonOccurrence>();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostApplicationLifetime, Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>().AddSingleton<WorkerShutdown>();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        await provider.GetRequiredService<SchedulerInitializer>().InitializeAsync();
        return new AppHarness(provider, prefix);
    }

    public string InputContainer => Prefix + "in";

    /// <summary>A file of the Function App's build output, in the configuration these tests were built with.</summary>
    public static string FunctionsBuildOutput(string file)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine(AzuriteFixture.RepositoryRoot(), "src", "Scheduler.App", "bin", configuration, "net10.0", file);
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
