using System.Diagnostics;
using Scheduler.Reliability.Harness;
using Scheduler.Schedules;

namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// A host killed with SIGKILL at random moments and restarted, over cron and interval probe schedules (some every
/// second, some failing their first attempt, some working for seconds so kills land mid-run). Runs lost with the
/// process are re-run when their lease ends, with the next attempt number; the audit must find nothing unaccounted
/// and nothing run twice.
/// </summary>
public static class CrashScenario
{
    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport("crash (SIGKILL and restart)");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("crash");
        var random = new Random(size.Seed);
        var probes = await ProbeSchedules.AddAsync(rig, "crash", size.CrashSchedules, i => (i % 5) switch
        {
            0 => ProbeSchedules.Every(TimeSpan.FromSeconds(1), rig),
            1 => ProbeSchedules.Cron("*/2 * * * * *", rig),
            2 => ProbeSchedules.Cron("*/3 * * * * *", rig, failAttempts: 1) with { MaxAttempts = 3, RetryBackoffSeconds = 1 },
            3 => ProbeSchedules.Every(TimeSpan.FromSeconds(4), rig, workMilliseconds: 1500),
            _ => ProbeSchedules.Cron("*/5 * * * * *", rig, workMilliseconds: 3000) with { Overlap = OverlapPolicy.BufferOne },
        });
        report.Schedules = probes.Count;
        var from = DateTimeOffset.UtcNow;
        var host = rig.StartHost();
        for (var kill = 1; kill <= size.Kills; kill++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(3000, 9000)));
            report.Require(!host.HasExited, $"{host.Name} exited by itself before kill {kill}: {rig.Describe(host)}");
            await host.KillAsync();
            report.Kills++;
            progress.WriteLine($"  kill {kill}/{size.Kills}: SIGKILL {host.Name} after {(DateTimeOffset.UtcNow - host.StartedAt).TotalSeconds:F1} s");
            host = rig.StartHost();
        }

        // Long enough for leases lost with the last kill (5 s timeout + 2 s margin) to end and their re-runs to finish.
        await Task.Delay(TimeSpan.FromSeconds(18));
        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-7);
        report.Require(!host.HasExited, $"{host.Name} exited by itself: {rig.Describe(host)}");
        report.Require(await rig.StopHostsAsync(), "the last host did not stop on Ctrl+C");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;

        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, probes);
        var lostLeases = 0;
        var rerunsAfterLostLease = 0;
        foreach (var key in probes)
        {
            var ledger = await rig.States.ReadRunsAsync(key);
            var lost = ledger.Where(r => r.ErrorType == "LeaseExpired").ToList();
            lostLeases += lost.Count;
            rerunsAfterLostLease += lost.Count(l => ledger.Any(r => r.Due == l.Due && r.Attempt == l.Attempt + 1));
        }

        report.Figure("runs lost with a killed process (lease expired)", $"{lostLeases}");
        report.Figure("of those re-run with the next attempt number", $"{rerunsAfterLostLease}");
        report.Require(lostLeases > 0, "no kill landed on a run in flight: the scenario proved nothing about lost runs");
        report.Duration = clock.Elapsed;
        return report;
    }
}
