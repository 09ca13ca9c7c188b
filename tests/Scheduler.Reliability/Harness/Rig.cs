using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Admin;
using Scheduler.Development;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Reliability.Jobs;
using Scheduler.Schedules;
using Scheduler.Sharding;

namespace Scheduler.Reliability.Harness;

/// <summary>
/// One scenario's world: its own Azurite (in memory, or in a temporary folder when it must survive a restart), a table
/// prefix, an admin client with the same jobs as the hosts, and the hosts it starts. Host logs go to <see cref="LogDirectory"/>.
/// </summary>
internal sealed class Rig : IAsyncDisposable
{
    private readonly string _repositoryRoot;
    private readonly string? _location;
    private readonly int[] _ports;
    private readonly List<HostProcess> _hosts = [];
    private readonly List<string> _stalls = [];
    private AzuriteProcess? _azurite;
    private ServiceProvider? _services;
    private int _hostNumber;

    private Rig(string repositoryRoot, string? location, string logDirectory)
    {
        _repositoryRoot = repositoryRoot;
        _location = location;
        _ports = AzuriteProcess.FreePorts(3);
        LogDirectory = logDirectory;
    }

    /// <summary>The input containers the rig and its hosts allow, set explicitly so both validate alike.</summary>
    public const string InputContainers = "imports";

    public string Prefix { get; } = "rel" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Schedules the scenario made through the harness, by key: judged by <see cref="IndependentDues"/>.</summary>
    public Dictionary<ScheduleKey, ScheduleSpec> Specs { get; } = [];
    public string LogDirectory { get; }
    public string ConnectionString => _azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite is not running");
    public IReadOnlyList<HostProcess> Hosts => _hosts;
    public string ProbeTable => Prefix + "Probe";
    public IServiceProvider Services => _services ?? throw new InvalidOperationException("not started");
    public ScheduleAdmin Admin => Services.GetRequiredService<ScheduleAdmin>();
    public StateStore States => Services.GetRequiredService<StateStore>();
    public LedgerAudit Audit => Services.GetRequiredService<LedgerAudit>();
    public SchedulerTables Tables => Services.GetRequiredService<SchedulerTables>();
    public TableClient Probe => Services.GetRequiredService<TableServiceClient>().GetTableClient(ProbeTable);

    /// <param name="persistent">Keep Azurite's data in a temporary folder so it survives <see cref="StopStorageAsync"/>.</param>
    /// <param name="layoutTwo">Tables as a version before layout 3 left them (its layout row), with this notice for their move (<see cref="SchedulerOptions.LayoutMoveNotice"/>).</param>
    public static async Task<Rig> StartAsync(string scenario, bool persistent = false, TimeSpan? layoutTwo = null)
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("run the harness from the repository (package.json next to Scheduler.sln)");
        var work = Path.Combine(Path.GetTempPath(), "scheduler-reliability", $"{scenario}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}");
        Directory.CreateDirectory(work);
        var rig = new Rig(root, persistent ? Path.Combine(work, "azurite") : null, work);
        await rig.StartStorageAsync();
        var options = new SchedulerOptions { InstanceId = "harness" };
        options.Tables.Prefix = rig.Prefix;
        options.Inputs.AllowedContainers.Add(InputContainers);
        if (layoutTwo is { } notice)
        {
            var due = new TableClient(rig.ConnectionString, options.Tables.Prefix + options.Tables.DueIndex);
            await due.CreateIfNotExistsAsync();
            await due.AddEntityAsync(Layouts.New(PerScheduleLayout.Instance.Version, options.Shards));
            options.LayoutMoveNotice = notice;
        }

        rig._services = await SchedulerServices.StartAsync(rig.ConnectionString, options, jobs => jobs.AddReliabilityJobs());
        await rig.Probe.CreateIfNotExistsAsync();
        return rig;
    }

    /// <summary>Starts a host process with the harness's settings (tick every 5 s with precise firing, 2 s lease margin, a full ledger).</summary>
    public HostProcess StartHost(IReadOnlyDictionary<string, string>? settings = null)
    {
        var name = $"host{++_hostNumber}";
        var environment = new Dictionary<string, string>
        {
            ["SchedulerStorage"] = ConnectionString,
            ["Scheduler__Tables__Prefix"] = Prefix,
            ["Scheduler__InstanceId"] = name,
            ["Scheduler__TickSchedule"] = "*/5 * * * * *",
            ["Scheduler__LeaseMargin"] = "00:00:02",
            ["Scheduler__AbandonGrace"] = "00:00:02",
            ["Scheduler__LedgerRetention"] = "1000000",
            ["Scheduler__Inputs__AllowedContainers"] = InputContainers,
            ["DOTNET_gcServer"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var host = HostProcess.Start(name, environment, Path.Combine(LogDirectory, name + ".log"));
        _hosts.Add(host);
        return host;
    }

    /// <summary>Stops Azurite the way an outage looks to the hosts: connections refused until it is back.</summary>
    public async Task StopStorageAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
            _azurite = null;
        }
    }

    public async Task StartStorageAsync() =>
        _azurite = await AzuriteProcess.StartAsync(_repositoryRoot, _location, _ports[0], _ports[1], _ports[2]);

    /// <summary>Stops every host that still runs with SIGTERM; true if all stopped within the grace.</summary>
    public async Task<bool> StopHostsAsync()
    {
        var stopped = await Task.WhenAll(_hosts.Select(h => h.StopAsync(TimeSpan.FromSeconds(30))));
        return stopped.All(s => s);
    }

    /// <summary>
    /// Waits until every one of <paramref name="keys"/> has decided each occurrence due by <paramref name="settledBefore"/>
    /// (none still next, waiting or in flight), at most <paramref name="limit"/>; returns how long that took, or null if
    /// it did not happen. Auditing earlier would report occurrences still waiting to run as lost.
    /// </summary>
    public async Task<TimeSpan?> WaitForCatchUpAsync(IEnumerable<ScheduleKey> keys, DateTimeOffset settledBefore, TimeSpan limit)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var waiting = keys.ToList();
        while (watch.Elapsed < limit)
        {
            var behind = new List<ScheduleKey>();
            foreach (var key in waiting)
            {
                if (await States.GetAsync(key) is { } current && IsBehind(current.State, settledBefore))
                {
                    behind.Add(key);
                }
            }

            if (behind.Count == 0)
            {
                return watch.Elapsed;
            }

            waiting = behind;
            await Task.Delay(500);
        }

        await NoteStallAsync(waiting, settledBefore);
        return null;
    }

    /// <summary>What a failed report shows (<see cref="ScenarioReport.Diagnostics"/>): the hosts' notes, and any stall found while waiting.</summary>
    public IEnumerable<string> Diagnostics() =>
        _hosts.Select(h => $"{h.Name}{(h.HasExited ? $" (exited {h.ExitCode})" : "")}:\n{h.Notes}").Concat(_stalls);

    /// <summary>The schedules still behind when a wait gave up, with their shards and states, and who held which shard then.</summary>
    private async Task NoteStallAsync(List<ScheduleKey> behind, DateTimeOffset settledBefore)
    {
        try
        {
            var leases = await Services.GetRequiredService<ShardStore>().ReadAsync(CancellationToken.None);
            _stalls.Add("shard leases when the wait gave up: " + string.Join(", ", leases.Leases.OrderBy(l => l.Lease.Shard).Select(l =>
                string.Create(CultureInfo.InvariantCulture, $"{l.Lease.Shard} {(l.Lease.Owner.Length > 0 ? l.Lease.Owner : "free")} until {l.Lease.ExpiresAt:HH:mm:ss}"))));
            foreach (var key in behind.Take(10))
            {
                var state = (await States.GetAsync(key))?.State;
                _stalls.Add(string.Create(CultureInfo.InvariantCulture,
                    $"behind {settledBefore:HH:mm:ss}: {key} (shard {ShardMap.ShardOf(key, leases.ShardCount)}) next due {state?.NextDue:HH:mm:ss}, {state?.InFlight.Count} in flight, {state?.Pending.Count} pending"));
            }
        }
        catch (Exception ex)
        {
            _stalls.Add($"the stall could not be described: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// An occurrence due before <paramref name="settledBefore"/> not yet decided: still the next due, in flight, or
    /// waiting to run now. A retry waiting out its backoff is not behind (fuzzed entries back off for up to 30 min);
    /// the audit counts its failed attempts as they stand.
    /// </summary>
    private static bool IsBehind(Scheduler.Planning.ScheduleState state, DateTimeOffset settledBefore) =>
        state.Status == Scheduler.Planning.ScheduleStatus.Active
        && (state.NextDue <= settledBefore || state.InFlight.Any(r => r.Due <= settledBefore && !r.Abandoned)
            || state.Pending.Any(p => p.Due <= settledBefore && p.NotBefore <= DateTimeOffset.UtcNow));

    public long MaxTickMilliseconds => _hosts.Count == 0 ? 0 : _hosts.Max(h => h.MaxTickMilliseconds);

    public string Describe(HostProcess host) =>
        string.Create(CultureInfo.InvariantCulture, $"{host.Name} (log {Path.Combine(LogDirectory, host.Name + ".log")}):\n{host.Tail}");

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await StopStorageAsync();
    }
}
