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
internal static class CrashScenario
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
        var lives = new List<(HostProcess Host, DateTimeOffset? Ready, DateTimeOffset End)>();
        for (var kill = 1; kill <= size.Kills; kill++)
        {
            // Counted from the moment the host is ready, so kills land on claims, runs and index moves, not on start-up.
            await WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(size.KillAfterReady.Min, size.KillAfterReady.Max)));
            report.Require(!host.HasExited, $"{host.Name} exited by itself before kill {kill}: {rig.Describe(host)}");
            await host.KillAsync();
            lives.Add((host, host.ReadyAt, DateTimeOffset.UtcNow));
            report.Kills++;
            progress.WriteLine($"  kill {kill}/{size.Kills}: SIGKILL {host.Name} {(DateTimeOffset.UtcNow - (host.ReadyAt ?? host.StartedAt)).TotalSeconds:F1} s after it was ready");
            host = rig.StartHost();
        }

        // Long enough for leases lost with the last kill (5 s timeout + 2 s margin) to end and their re-runs to finish;
        // then the audit waits until the last host has worked off everything due before the window's end.
        await Task.Delay(TimeSpan.FromSeconds(18));
        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-7);
        var caughtUp = await rig.WaitForCatchUpAsync(probes, settledBefore, TimeSpan.FromSeconds(120));
        report.Require(caughtUp is not null, "the last host had not worked off the occurrences due before the window's end 120 s later");
        report.Figure("waited for the last host to catch up", $"{caughtUp?.TotalSeconds ?? 120:F1} s");
        report.Require(!host.HasExited, $"{host.Name} exited by itself: {rig.Describe(host)}");
        lives.Add((host, host.ReadyAt, DateTimeOffset.UtcNow));
        report.Require(await rig.StopHostsAsync(), "the last host did not stop on SIGTERM");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;

        var starts = new List<(DateTimeOffset Due, DateTimeOffset Started)>();
        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, probes, starts: starts);
        ReportLateness(report, lives, starts);
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

    private static async Task WaitUntilReadyAsync(HostProcess host, TimeSpan limit)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        while (host.ReadyAt is null && !host.HasExited && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Lateness split by cause: occurrences due while a host had been up for a while and those due while a host was
    /// dead or starting, beside the cold start itself. Figures, not a verdict: past its misfire grace an occurrence is
    /// Missed by policy, so lateness is bounded by construction; whether the host catches up is the verdict.
    /// </summary>
    private static void ReportLateness(ScenarioReport report, List<(HostProcess Host, DateTimeOffset? Ready, DateTimeOffset End)> lives, List<(DateTimeOffset Due, DateTimeOffset Started)> starts)
    {
        var warmAfter = TimeSpan.FromSeconds(5);
        bool Warm(DateTimeOffset due) => lives.Any(l => l.Ready is { } ready && due >= ready + warmAfter && due < l.End);
        var warm = starts.Where(s => Warm(s.Due)).Select(s => (s.Started - s.Due).TotalMilliseconds).Order().ToList();
        var restart = starts.Where(s => !Warm(s.Due)).Select(s => (s.Started - s.Due).TotalMilliseconds).Order().ToList();
        var coldStarts = lives.Where(l => l.Ready is not null).Select(l => (l.Ready!.Value - l.Host.StartedAt).TotalMilliseconds).Order().ToList();
        report.Figure("host cold start (process start to ticking) p50 / max", $"{Percentile(coldStarts, 0.5):F0} / {coldStarts.LastOrDefault():F0} ms");
        report.Figure($"lateness of occurrences due while a host was up for {warmAfter.TotalSeconds:F0} s or more (n, p50 / p99 / max)", $"{warm.Count}, {Percentile(warm, 0.5):F0} / {Percentile(warm, 0.99):F0} / {warm.LastOrDefault():F0} ms");
        report.Figure("lateness of occurrences due while a host was dead or starting (n, p50 / p99 / max)", $"{restart.Count}, {Percentile(restart, 0.5):F0} / {Percentile(restart, 0.99):F0} / {restart.LastOrDefault():F0} ms");
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
