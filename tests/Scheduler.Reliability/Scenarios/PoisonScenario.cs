using System.Diagnostics;
using Scheduler.Auditing;
using Scheduler.Admin;
using Scheduler.Reliability.Harness;
using Scheduler.Reliability.Jobs;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// Handlers that throw, hang past their timeout, ignore cancellation, and allocate heavily, beside good schedules
/// firing every second with a 2 s misfire grace. Each poison is recorded and retried per its policy; the good ones
/// run every occurrence on time (a tick waiting for a poison does not hold them back).
/// </summary>
internal static class PoisonScenario
{
    private sealed record Poison(string Name, ScheduleSpec Spec, RunStatus FailedAs, int Attempts, string Message);

    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport("poison handlers");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("poison");
        Poison[] poisons =
        [
            new("throws", new ScheduleSpec { Job = ReliabilityJobs.Throws, Interval = TimeSpan.FromSeconds(4), MaxAttempts = 3, RetryBackoffSeconds = 1 }, RunStatus.Failed, 3, "throws on every attempt"),
            new("hangs", new ScheduleSpec { Job = ReliabilityJobs.Hangs, Interval = TimeSpan.FromSeconds(6), TimeoutSeconds = 2, MaxAttempts = 2, RetryBackoffSeconds = 1 }, RunStatus.TimedOut, 2, "cancelled after TimeoutSeconds=2"),
            new("deaf", new ScheduleSpec { Job = ReliabilityJobs.Deaf, Interval = TimeSpan.FromSeconds(10), TimeoutSeconds = 2, MaxAttempts = 2, RetryBackoffSeconds = 1, Args = new { seconds = 8 } }, RunStatus.TimedOut, 2, "ignored cancellation"),
            new("allocates", new ScheduleSpec { Job = ReliabilityJobs.Allocates, Interval = TimeSpan.FromSeconds(5), Args = new { megabytes = 512 } }, RunStatus.Succeeded, 1, ""),
        ];
        var good = await ProbeSchedules.AddAsync(rig, "good", 20, i => (i % 2 == 0
            ? ProbeSchedules.Every(TimeSpan.FromSeconds(1), rig)
            : ProbeSchedules.Cron("* * * * * *", rig)) with { MisfireGraceSeconds = 2 });
        report.Schedules = poisons.Length + good.Count;
        var host = rig.StartHost();

        // The poisons arrive once the host is warm, so what the good schedules see is the poisons, not a cold start.
        await Task.Delay(TimeSpan.FromSeconds(10));
        var from = DateTimeOffset.UtcNow;
        foreach (var poison in poisons)
        {
            await rig.Admin.AddOrUpdateAsync(new ScheduleKey("poison", poison.Name), poison.Spec);
        }

        progress.WriteLine($"  {poisons.Length} poison beside {good.Count} good schedules for {size.PoisonRun.TotalSeconds:F0} s");
        await Task.Delay(size.PoisonRun);
        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-12);
        report.Require(await rig.WaitForCatchUpAsync(good, settledBefore, TimeSpan.FromSeconds(60)) is not null, "the host had not worked off the good schedules' occurrences due before the window's end 60 s later");
        report.Require(!host.HasExited, $"{host.Name} exited: {rig.Describe(host)}");
        report.Require(await rig.StopHostsAsync(), "the host did not stop on SIGTERM");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;

        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, good, only: good);
        var audits = await rig.Audit.AuditAsync(from, settledBefore, settledBefore);
        foreach (var poison in poisons)
        {
            var key = new ScheduleKey("poison", poison.Name);
            var audit = audits.Single(a => a.Key == key).Result;
            var ledger = await rig.States.ReadRunsAsync(key);
            var expectedFate = poison.FailedAs == RunStatus.Succeeded ? OccurrenceFate.RanOnce : OccurrenceFate.FailedAfterRetries;
            var settled = audit.Occurrences.Where(o => o.Fate != OccurrenceFate.SkippedByOverlap).ToList();
            report.Require(settled.Count > 0, $"{poison.Name}: no occurrence in the window");
            foreach (var occurrence in settled.Where(o => o.Fate != expectedFate || o.Attempts != poison.Attempts))
            {
                report.Problems.Add($"{poison.Name} due {occurrence.Due:O}: {occurrence.Fate} after {occurrence.Attempts} attempt(s), expected {expectedFate} after {poison.Attempts}");
            }

            var rows = ledger.Where(r => r.Attempt > 0 && r.Due >= from && r.Due <= settledBefore).ToList();
            foreach (var row in rows.Where(r => r.Status != poison.FailedAs || !(r.ErrorMessage ?? "").Contains(poison.Message, StringComparison.Ordinal)))
            {
                report.Problems.Add($"{poison.Name} attempt {row.Attempt} due {row.Due:O}: {row.Status} \"{row.ErrorMessage}\", expected {poison.FailedAs} saying \"{poison.Message}\"");
            }

            report.Figure($"{poison.Name}", $"{settled.Count} occurrences, {rows.Count} attempts recorded {poison.FailedAs}{(rows.FirstOrDefault(r => r.ErrorMessage is not null) is { } sample ? $" (\"{sample.ErrorMessage}\")" : "")}");
        }

        report.Require(report.Fates[OccurrenceFate.MissedByPolicy] == 0, $"{report.Fates[OccurrenceFate.MissedByPolicy]} occurrences of the good schedules started more than 2 s late");
        report.Duration = clock.Elapsed;
        return report;
    }
}
