using Scheduler.App;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Functions;

namespace Scheduler.FunctionsHost.Tests.Fixtures;

/// <summary>
/// One test's Function App: its own tables (prefix), queue and host id on the shared Azurite, the app settings its
/// hosts get, and the scheduler's own stores (the app's registration) to arrange and judge through storage.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    private readonly HostTierFixture _tier;
    private readonly ServiceProvider _services;
    private readonly List<FunctionsHostProcess> _hosts = [];

    private Deployment(HostTierFixture tier, string prefix, ServiceProvider services, Dictionary<string, string> settings)
    {
        _tier = tier;
        Prefix = prefix;
        _services = services;
        Settings = settings;
    }

    public string Prefix { get; }
    public Dictionary<string, string> Settings { get; }
    public IReadOnlyList<FunctionsHostProcess> Hosts => _hosts;
    public ScheduleAdmin Admin => _services.GetRequiredService<ScheduleAdmin>();
    public StateStore States => _services.GetRequiredService<StateStore>();
    public SchedulerTables Tables => _services.GetRequiredService<SchedulerTables>();
    public OccurrenceQueue Queue => _services.GetRequiredService<OccurrenceQueue>();
    public LedgerAudit Audit => _services.GetRequiredService<LedgerAudit>();
    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static async Task<Deployment> CreateAsync(HostTierFixture tier, string dispatch = "Inline")
    {
        var prefix = "h" + Guid.NewGuid().ToString("N")[..10];
        var settings = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = tier.ConnectionString,
            ["SchedulerStorage"] = tier.ConnectionString,
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
            // Its own host id: timer schedule status and singleton locks of one test never meet another's.
            ["AzureFunctionsWebHost__hostid"] = prefix,
            ["Scheduler__Tables__Prefix"] = prefix,
            ["Scheduler__Queue"] = prefix + "-occurrences",
            ["Scheduler__Dispatch"] = dispatch,
            ["Scheduler__TickSchedule"] = "*/2 * * * * *",
            ["Scheduler__Inputs__AllowedContainers"] = prefix + "in",
            ["Scheduler__LeaseMargin"] = "00:00:03",
            // Poison handling in seconds rather than minutes: redeliver at once, poll often.
            ["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:00:00",
            ["AzureFunctionsJobHost__extensions__queues__maxPollingInterval"] = "00:00:01",
            // A stopped instance's timer is taken over at the next recovery poll (15 s, the least the host takes; a minute by default, as in Azure).
            ["AzureFunctionsJobHost__singleton__listenerLockRecoveryPollingInterval"] = "00:00:15",
        };
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => (string?)s.Value))
            .Build();
        var services = new ServiceCollection();
        services.AddScheduler(configuration).AddDemoJobs();
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<SchedulerTables>().CreateIfMissingAsync();
        return new Deployment(tier, prefix, provider, settings);
    }

    /// <summary>Starts a host with this deployment's settings (and <paramref name="overrides"/>), waiting until it runs the app.</summary>
    public async Task<FunctionsHostProcess> StartHostAsync(string name, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var settings = new Dictionary<string, string>(Settings) { ["Scheduler__InstanceId"] = name };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var host = FunctionsHostProcess.Start($"{Prefix}-{name}", _tier.HostDirectory, settings, _tier.LogDirectory);
        _hosts.Add(host);
        var started = await host.WaitForLineAsync(l => l.Contains("Job host started", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        Assert.True(started, "the host did not start:\n" + host.Tail());
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _services.DisposeAsync();
    }
}
