using System.Diagnostics;
using Azure.Data.Tables;
using Scheduler.Reliability.Harness;
using Scheduler.Reliability.Jobs;
using Scheduler.Schedules;

namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// Two hosts run busy (every-second) probe schedules while a writer, through the raw table SDK as a person or tool
/// would, edits them (a new version in Args), pauses, resumes, deletes and re-adds them. The verdict: no stale run (one
/// started from a definition older than an edit committed 1 s or more before its due time, or while paused or
/// deleted by then), nothing run twice, nothing unaccounted.
/// </summary>
internal static class EditsUnderLoadScenario
{
    /// <summary>A committed change: it landed between <see cref="SentAt"/> (the request left) and <see cref="CommittedAt"/> (the answer came).</summary>
    private sealed record Version(DateTimeOffset CommittedAt, int Number, bool Enabled, bool Exists, DateTimeOffset SentAt = default);

    /// <summary>Each schedule is left alone this long after an edit, so every occurrence has one definition to be judged by.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport("edits under load");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("edits");
        var random = new Random(size.Seed);
        var history = new Dictionary<ScheduleKey, List<Version>>();
        for (var i = 0; i < size.EditedSchedules; i++)
        {
            var key = new ScheduleKey("edited", $"busy-{i:D3}");
            history[key] = [await WriteAsync(rig, key, 1, enabled: true)];
        }

        report.Schedules = history.Count;
        var from = DateTimeOffset.UtcNow;
        rig.StartHost();
        rig.StartHost();
        progress.WriteLine($"  2 hosts, {history.Count} every-second schedules, edited for {size.EditRun.TotalSeconds:F0} s");
        var edits = 0;
        var end = DateTimeOffset.UtcNow + size.EditRun;
        while (DateTimeOffset.UtcNow < end)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(100, 400)));
            var quiet = history.Where(h => DateTimeOffset.UtcNow - h.Value[^1].CommittedAt >= Quiet).ToList();
            if (quiet.Count == 0)
            {
                continue;
            }

            var (key, versions) = quiet[random.Next(quiet.Count)];
            versions.Add(await ChangeAsync(rig, key, versions[^1], random));
            edits++;
        }

        // Leave every schedule as it is, then settle.
        await Task.Delay(TimeSpan.FromSeconds(8));
        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-6);
        var running = history.Where(h => h.Value[^1].Exists && h.Value[^1].Enabled).Select(h => h.Key).ToHashSet();
        report.Require(await rig.WaitForCatchUpAsync(running, settledBefore, TimeSpan.FromSeconds(60)) is not null, "the hosts had not worked off the occurrences due before the window's end 60 s later");
        report.Require(await rig.StopHostsAsync(), "a host did not stop on SIGTERM");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;
        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, probes: history.Keys.ToHashSet());

        var (judged, stale) = await JudgeAsync(rig, history, report);
        report.Figure("edits, pauses, resumes, deletions and re-adds committed", $"{edits}");
        report.Figure("runs judged against the definition in force 1 s before their due time", $"{judged}");
        report.Figure("stale runs", $"{stale}");
        report.Require(edits >= history.Count, $"only {edits} edits were made: the scenario did not exercise edits under load");
        report.Require(judged > 0, "no run could be judged");
        report.Duration = clock.Elapsed;
        return report;
    }

    /// <summary>Every probe execution against the definition in force 1 s before its due time (occurrences with an edit in that last second are not judged).</summary>
    private static async Task<(int Judged, int Stale)> JudgeAsync(Rig rig, Dictionary<ScheduleKey, List<Version>> history, ScenarioReport report)
    {
        var judged = 0;
        var stale = 0;
        var seen = 0;
        foreach (var (key, versions) in history)
        {
            await foreach (var row in rig.Probe.QueryAsync<TableEntity>(e => e.PartitionKey == ProbeRows.Partition(key)))
            {
                var (kind, due, _) = ProbeRows.Parse(row.RowKey);
                seen += kind == ProbeRows.Execution ? 1 : 0;
                if (kind != ProbeRows.Execution || due < versions[0].CommittedAt.AddSeconds(1)
                    || versions.Any(v => v.CommittedAt > due.AddSeconds(-1) && v.SentAt <= due))
                {
                    continue;
                }

                var inForce = versions.Last(v => v.CommittedAt <= due.AddSeconds(-1));
                var ran = row.GetInt32("Version") ?? 0;
                judged++;
                if (!inForce.Exists || !inForce.Enabled || ran < inForce.Number)
                {
                    stale++;
                    report.Problems.Add($"{key} due {due:O} ran version {ran}, but 1 s before it the definition was " +
                        (inForce.Exists ? inForce.Enabled ? $"version {inForce.Number}" : "paused" : "deleted") + $" (committed {inForce.CommittedAt:O})");
                }
            }
        }

        report.Figure("probe executions seen (judged unless an edit fell in the second before their due time)", $"{seen}");
        return (judged, stale);
    }

    private static async Task<Version> ChangeAsync(Rig rig, ScheduleKey key, Version last, Random random)
    {
        if (!last.Exists)
        {
            return await WriteAsync(rig, key, last.Number + 1, enabled: true); // re-added
        }

        switch (random.Next(4))
        {
            case 0:
                var sent = DateTimeOffset.UtcNow;
                await rig.Tables.Schedules.DeleteEntityAsync(key.Group, key.Id);
                return new Version(DateTimeOffset.UtcNow, last.Number, last.Enabled, Exists: false, sent);
            case 1:
                return await WriteAsync(rig, key, last.Number, enabled: !last.Enabled); // pause or resume
            default:
                return await WriteAsync(rig, key, last.Number + 1, last.Enabled); // an edit
        }
    }

    /// <summary>
    /// Writes the whole entry. The commit landed between the request and the answer: an occurrence due in that span may
    /// rightly have run either version, so it is not judged (under load the answer can come after the due time).
    /// </summary>
    private static async Task<Version> WriteAsync(Rig rig, ScheduleKey key, int number, bool enabled)
    {
        var sent = DateTimeOffset.UtcNow;
        await rig.Tables.Schedules.UpsertEntityAsync(new TableEntity(key.Group, key.Id)
        {
            [ScheduleColumns.Job] = ReliabilityJobs.Probe,
            [ScheduleColumns.Cron] = "* * * * * *",
            [ScheduleColumns.Enabled] = enabled,
            [ScheduleColumns.TimeoutSeconds] = 5,
            [ScheduleColumns.Args] = $"{{\"table\":\"{rig.ProbeTable}\",\"version\":{number}}}",
        }, TableUpdateMode.Replace);
        return new Version(DateTimeOffset.UtcNow, number, enabled, Exists: true, sent);
    }
}
