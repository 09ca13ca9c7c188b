using System.Diagnostics;
using Azure.Data.Tables;
using Scheduler.Reliability.Harness;
using Scheduler.Storage;

namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// Tables of layout 2 (a state-table partition per schedule) move to layout 3 in place while three hosts dispatch
/// probes every second; the host moving rows is killed half way, another takes the move over. Every occurrence runs
/// once, none is lost, every schedule's rows end in a shard partition.
/// </summary>
internal static class LayoutMoveScenario
{
    private static readonly TimeSpan Notice = TimeSpan.FromSeconds(10);
    private const int Idle = 600;

    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport($"layout move (layout 2 to 3 under 3 hosts, {Idle} idle schedules, the mover killed)");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("layout-move", layoutTwo: Notice);
        var probes = await ProbeSchedules.AddAsync(rig, "moving", 40, i => (i % 3) switch
        {
            0 => ProbeSchedules.Every(TimeSpan.FromSeconds(1), rig),
            1 => ProbeSchedules.Cron("* * * * * *", rig, workMilliseconds: 300),
            _ => ProbeSchedules.Cron("*/2 * * * * *", rig, failAttempts: 1) with { MaxAttempts = 2, RetryBackoffSeconds = 1 },
        });
        var idle = await ProbeSchedules.AddAsync(rig, "idle", Idle, _ => ProbeSchedules.Every(TimeSpan.FromDays(1), rig)); // rows to move
        report.Schedules = probes.Count + idle.Count;
        var settings = new Dictionary<string, string> { ["Scheduler__LayoutMoveNotice"] = Notice.ToString() };
        var from = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
        {
            rig.StartHost(settings);
        }

        progress.WriteLine($"  3 hosts on layout-2 tables; the move is announced {Notice.TotalSeconds:F0} s before rows move");
        var mover = await WaitForAsync(rig, row => row.GetString("Migrator"), TimeSpan.FromSeconds(90));
        report.Require(mover is not null, "no host started moving rows within 90 s");
        var started = clock.Elapsed;
        if (rig.Hosts.FirstOrDefault(h => h.Name == mover) is { } moving)
        {
            await WaitForMovedStatesAsync(rig, 50, TimeSpan.FromSeconds(30)); // half way, not before it starts
            await moving.KillAsync();
            report.Kills++;
            var stateRows = await rig.Tables.State.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey", LayoutMove.MarkColumn]).ToListAsync();
            var unmoved = stateRows.Where(r => r.RowKey == "state").ToList();
            report.Figure("states when the mover was killed (one paged scan while rows move, so about)", $"{stateRows.Count(r => r.RowKey.StartsWith("state|", StringComparison.Ordinal))} in layout 3, {unmoved.Count} in layout 2 ({unmoved.Count(LayoutMove.IsMarked)} of them marked moved, their move half done)");
            progress.WriteLine($"  killed {mover} while it moved rows; a fourth host starts");
            rig.StartHost(settings);
        }

        var moved = await WaitForAsync(rig, row => row.GetInt32("Version") == Layouts.Target ? row.GetString("MovedBy") : null, TimeSpan.FromSeconds(120));
        report.Require(moved is not null, "the tables were not layout 3 within 120 s of the move's start");
        report.Figure("rows moved from the first mover's start to layout 3", $"{(clock.Elapsed - started).TotalSeconds:F1} s (finished by {moved ?? "none"}, after {mover} was killed)");
        await Task.Delay(TimeSpan.FromSeconds(10));

        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-6);
        report.Require(await rig.WaitForCatchUpAsync(probes, settledBefore, TimeSpan.FromSeconds(60)) is not null, "the hosts had not worked off the occurrences due before the window's end 60 s later");
        foreach (var host in rig.Hosts.Where(h => h.Name != mover))
        {
            report.Require(!host.HasExited, $"{host.Name} exited: {rig.Describe(host)}");
        }

        report.Require(await rig.StopHostsAsync(), "a host did not stop on SIGTERM");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;
        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, probes);

        var rows = await rig.Tables.State.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]).ToListAsync();
        var left = rows.Where(r => !r.PartitionKey.StartsWith("shard-", StringComparison.Ordinal)).ToList();
        report.Require(left.Count == 0, $"{left.Count} state-table rows are still in layout-2 partitions, e.g. {string.Join(", ", left.Take(3).Select(r => $"{r.PartitionKey}/{r.RowKey}"))}");
        var states = rows.Count(r => r.RowKey.StartsWith("state|", StringComparison.Ordinal));
        report.Require(states == report.Schedules, $"{states} layout-3 states for {report.Schedules} schedules");
        report.Figure("state-table rows after the move", $"{rows.Count} ({states} states), all in shard partitions: {left.Count == 0}");
        report.Duration = clock.Elapsed;
        return report;
    }

    private static async Task WaitForMovedStatesAsync(Rig rig, int count, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        var filter = TableClient.CreateQueryFilter($"RowKey ge {"state|"} and RowKey lt {"state}"}");
        while (watch.Elapsed < limit && await rig.Tables.State.QueryAsync<TableEntity>(filter, select: ["RowKey"]).Take(count).CountAsync() < count)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>Polls the layout row until <paramref name="read"/> finds something in it.</summary>
    private static async Task<string?> WaitForAsync(Rig rig, Func<TableEntity, string?> read, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            var row = await rig.Tables.DueIndex.GetEntityIfExistsAsync<TableEntity>(ShardStore.Partition, ShardStore.LayoutRow);
            if (row.HasValue && read(row.Value!) is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        return null;
    }
}
