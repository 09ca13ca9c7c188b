using System.Diagnostics;
using Scheduler.Reliability.Harness;
using Scheduler.Runs;

namespace Scheduler.Reliability.Scenarios;

/// <summary>Several hosts at once over the same tables: every occurrence runs once, whichever host claims it.</summary>
internal static class ConcurrencyScenario
{
    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport($"concurrency ({size.ConcurrentHosts} hosts at once)");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("concurrency");
        var probes = await ProbeSchedules.AddAsync(rig, "concurrent", 40, i => (i % 3) switch
        {
            0 => ProbeSchedules.Every(TimeSpan.FromSeconds(1), rig),
            1 => ProbeSchedules.Cron("* * * * * *", rig, workMilliseconds: 300),
            _ => ProbeSchedules.Cron("*/2 * * * * *", rig, failAttempts: 1) with { MaxAttempts = 2, RetryBackoffSeconds = 1 },
        });
        report.Schedules = probes.Count;
        var from = DateTimeOffset.UtcNow;
        for (var i = 0; i < size.ConcurrentHosts; i++)
        {
            rig.StartHost();
        }

        progress.WriteLine($"  {size.ConcurrentHosts} hosts running for {size.ConcurrencyRun.TotalSeconds:F0} s");
        await Task.Delay(size.ConcurrencyRun);
        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-6);
        report.Require(await rig.WaitForCatchUpAsync(probes, settledBefore, TimeSpan.FromSeconds(60)) is not null, "the hosts had not worked off the occurrences due before the window's end 60 s later");
        foreach (var host in rig.Hosts)
        {
            report.Require(!host.HasExited, $"{host.Name} exited: {rig.Describe(host)}");
            // Nothing fails here but the hosts themselves: a failed tick is a defect even when the others cover for it.
            report.Require(host.FailedTicks == 0, $"{host.Name}: {host.FailedTicks} ticks failed: {rig.Describe(host)}");
        }

        report.Require(await rig.StopHostsAsync(), "a host did not stop on SIGTERM");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;
        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, probes);

        var byInstance = new Dictionary<string, int>();
        foreach (var key in probes)
        {
            foreach (var run in (await rig.States.ReadRunsAsync(key)).Where(r => r.Attempt > 0 && r.Status == RunStatus.Succeeded))
            {
                byInstance[run.Instance ?? "?"] = byInstance.GetValueOrDefault(run.Instance ?? "?") + 1;
            }
        }

        report.Figure("successful runs by host", $"{string.Join(", ", byInstance.OrderBy(i => i.Key).Select(i => $"{i.Key} {i.Value}"))}");
        report.Require(byInstance.Count >= 2, $"only {byInstance.Count} host(s) ran anything: the hosts did not compete");
        report.Duration = clock.Elapsed;
        return report;
    }
}
