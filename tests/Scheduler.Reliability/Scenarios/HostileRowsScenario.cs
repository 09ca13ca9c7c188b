using System.Diagnostics;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Scheduler.Storage;
using Scheduler.Cli;
using Scheduler.Reliability.Harness;
using Scheduler.Reliability.Jobs;
using Scheduler.Schedules;

namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// Corrupt and hostile rows written into every table the scheduler reads (the due index, state rows, ledger and edit
/// history rows, the job catalog, the Schedules table) while a host runs 20 good schedules with a 2 s misfire grace
/// and a few victims whose state rows are damaged or deleted. No tick may fail because of them, the good schedules
/// stay on time, the victims lose no occurrence and run none twice, and `scheduler doctor` names every bad row.
/// </summary>
internal static class HostileRowsScenario
{
    private sealed record BadRow(TableClient Table, TableEntity Row);

    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport("hostile rows");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("hostile");
        var good = await ProbeSchedules.AddAsync(rig, "good", 20, i => (i % 2 == 0
            ? ProbeSchedules.Every(TimeSpan.FromSeconds(1), rig)
            : ProbeSchedules.Cron("* * * * * *", rig)) with { MisfireGraceSeconds = 2 });
        var victims = await ProbeSchedules.AddAsync(rig, "victim", 4, _ => ProbeSchedules.Every(TimeSpan.FromSeconds(2), rig));
        report.Schedules = good.Count + victims.Count;
        var host = rig.StartHost();
        await Task.Delay(TimeSpan.FromSeconds(8)); // warm: what the good schedules see is the hostile rows, not a cold start

        var from = DateTimeOffset.UtcNow;
        var bad = await WriteHostileRowsAsync(rig, [.. victims.OrderBy(k => k.Value, StringComparer.Ordinal)]);
        report.Figure("hostile rows written", $"{bad.Count} (due index, state, ledger, edit history, job catalog), plus 4 hostile Schedules entries, 1 state row deleted");
        progress.WriteLine($"  {bad.Count} hostile rows beside {good.Count} good schedules for {size.HostileRun.TotalSeconds:F0} s");
        await Task.Delay(size.HostileRun);

        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-10);
        report.Require(await rig.WaitForCatchUpAsync([.. good, .. victims], settledBefore, TimeSpan.FromSeconds(60)) is not null, "the host had not worked off the occurrences due before the window's end 60 s later");
        report.Require(!host.HasExited, $"{host.Name} exited: {rig.Describe(host)}");
        report.Require(host.FailedTicks == 0, $"{host.FailedTicks} ticks failed: {rig.Describe(host)}");
        report.Require(await rig.StopHostsAsync(), "the host did not stop on SIGTERM");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;
        report.Figure("rows the host quarantined or rebuilt (its log)", $"{host.QuarantineLines} quarantine reports, {host.Ticks} ticks, {host.FailedTicks} failed");

        var audited = good.Concat(victims).ToHashSet();
        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, audited, only: audited);
        var goodAudits = await rig.Audit.AuditAsync(from, settledBefore, settledBefore);
        var late = goodAudits.Where(a => good.Contains(a.Key)).Sum(a => a.Result.Occurrences.Count(o => o.Fate == Scheduler.Auditing.OccurrenceFate.MissedByPolicy));
        report.Require(late == 0, $"{late} occurrences of the good schedules started more than 2 s late");

        await CheckDoctorAsync(rig, report, bad);
        report.Duration = clock.Elapsed;
        return report;
    }

    private static TableEntity Damaged(StateLayout layout, ScheduleKey key, params (string Column, object Value)[] columns)
    {
        var row = layout.StateEntity(key);
        foreach (var (column, value) in columns)
        {
            row[column] = value;
        }

        return row;
    }

    /// <summary>The rows, each of a kind the issue found or the parsers must survive; returns those doctor must name.</summary>
    private static async Task<List<BadRow>> WriteHostileRowsAsync(Rig rig, List<ScheduleKey> victims)
    {
        var tables = rig.Tables;
        var layout = await rig.States.LayoutAsync();
        var bad = new List<BadRow>
        {
            // A heartbeat whose id is "due" writing into ScheduleDue wrote exactly this one.
            // Before sharding, the due index had one partition, "due"; the layout now has one per shard.
            new(tables.DueIndex, new TableEntity(DueIndex.LegacyPartition, "0000000000000000001") { ["Due"] = DateTimeOffset.UtcNow }),
            new(tables.DueIndex, new TableEntity(DueIndex.ShardPartition(0), $"{DateTimeOffset.UtcNow.UtcTicks:D19}|no-schedule-key")),
            new(tables.DueIndex, new TableEntity(DueIndex.ShardPartition(1), "garbage|default|x")),
            new(tables.DueIndex, new TableEntity(ShardStore.Partition, "not-a-lease") { ["Owner"] = 7 }),
            new(tables.DueIndex, new TableEntity("not-due", "x")),
            new(tables.State, new TableEntity(ShardedLayout.ShardPartition(0), "state|not-a-schedule-key") { ["Status"] = "Active" }),
        };
        var damage = new[]
        {
            Damaged(layout, victims[0], ("InFlight", "garbage")),
            Damaged(layout, victims[1], ("Status", 42), ("Pending", "[[1,2]]")),
            Damaged(layout, victims[2], ("LastDue", "yesterday"), ("NextDue", true), ("WakeAt", Guid.NewGuid())),
        };
        foreach (var (row, i) in bad.Select((b, i) => (b, i)))
        {
            await row.Table.UpsertEntityAsync(row.Row, TableUpdateMode.Replace);
        }

        foreach (var row in damage)
        {
            await tables.State.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Merge);
            bad.Add(new(tables.State, row));
        }

        await tables.State.DeleteEntityAsync(layout.Partition(victims[3]), layout.StateRow(victims[3]));

        // Ledger and edit rows of the wrong types: read by tools and by the repair of a damaged state.
        foreach (var victim in victims.Take(2))
        {
            await tables.State.UpsertEntityAsync(new TableEntity(layout.Partition(victim), layout.RunRow(victim, DateTimeOffset.MinValue, 1)) { ["Status"] = 7, ["Due"] = "soon", ["Attempt"] = "one" });
            await tables.State.UpsertEntityAsync(new TableEntity(layout.Partition(victim), layout.EditRow(victim, DateTimeOffset.MinValue, "x")) { ["DetectedAt"] = 3.5, ["Change"] = false });
        }

        await tables.Jobs.UpsertEntityAsync(new TableEntity(JobCatalogStore.Partition, "forged") { ["Description"] = 12, ["ExampleArgs"] = new byte[] { 1 } });
        foreach (var (id, column, value) in new (string, string, object)[] { ("huge-interval", "Interval", "100000000d"), ("numeric-cron", "Cron", 42), ("binary-args", "Args", new byte[] { 0, 1 }), ("bool-job", "Job", true) })
        {
            var entry = new TableEntity("hostile", id) { ["Job"] = ReliabilityJobs.Probe, ["Interval"] = "5s" };
            entry[column] = value;
            await tables.Schedules.UpsertEntityAsync(entry, TableUpdateMode.Replace);
        }

        return bad;
    }

    /// <summary>Runs `scheduler doctor --json` as a person would and checks it names every bad row and every hostile entry.</summary>
    private static async Task CheckDoctorAsync(Rig rig, ScenarioReport report, List<BadRow> bad)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await SchedulerCli.RunAsync(["doctor", "--json", "--connection", rig.ConnectionString, "--table-prefix", rig.Prefix], output, error, _ => null);
        report.Require(code == 1, $"doctor exited {code}, expected 1 (problems found): {error}");
        if (code != 1)
        {
            return;
        }

        var findings = JsonDocument.Parse(output.ToString()).RootElement.EnumerateArray()
            .Select(f => (Id: f.GetProperty("id").GetString() ?? "", Problem: f.GetProperty("problem").GetString() ?? "", Detail: f.GetProperty("detail").GetString() ?? ""))
            .ToList();
        foreach (var row in bad)
        {
            var named = findings.Any(f => f.Detail.Contains(RowFault.Quote(row.Row.PartitionKey), StringComparison.Ordinal) && f.Detail.Contains(RowFault.Quote(row.Row.RowKey), StringComparison.Ordinal));
            report.Require(named, $"doctor does not name the bad {row.Table.Name} row PartitionKey \"{row.Row.PartitionKey}\" RowKey \"{row.Row.RowKey}\"");
        }

        foreach (var id in new[] { "huge-interval", "numeric-cron", "binary-args", "bool-job" })
        {
            report.Require(findings.Any(f => f.Id == $"hostile/{id}" && f.Problem == "invalid"), $"doctor does not report the hostile entry hostile|{id} as invalid");
        }

        report.Figure("doctor", $"{findings.Count} findings; every one of the {bad.Count} bad rows and 4 hostile entries named");
    }
}
