using System.Diagnostics;
using Scheduler.Reliability.Faults;
using Scheduler.Reliability.Harness;

namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// Queue dispatch with every message delivered twice (the copy 0 to 3 s late), two hosts taking messages. Starting a
/// run is a conditional change of its claim, so the probe must record exactly one execution per attempt: a duplicate
/// delivery, early or late, runs nothing. Nothing may be unaccounted.
/// </summary>
internal static class QueueDuplicatesScenario
{
    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport("queue duplicates (every message delivered twice)");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("queue-duplicates");
        var probes = await ProbeSchedules.AddAsync(rig, "queued", 30, i => (i % 3) switch
        {
            0 => ProbeSchedules.Every(TimeSpan.FromSeconds(1), rig),
            1 => ProbeSchedules.Cron("*/2 * * * * *", rig, workMilliseconds: 800),
            _ => ProbeSchedules.Cron("*/3 * * * * *", rig, failAttempts: 1) with { MaxAttempts = 2, RetryBackoffSeconds = 1 },
        });
        report.Schedules = probes.Count;
        var settings = new Dictionary<string, string>
        {
            ["Scheduler__Dispatch"] = "Queue",
            ["Scheduler__Queue"] = rig.Prefix + "-occurrences",
            [DuplicatingDelivery.Setting] = "true",
        };
        var from = DateTimeOffset.UtcNow;
        rig.StartHost(settings);
        rig.StartHost(settings);
        progress.WriteLine($"  2 hosts in Queue mode, every message delivered twice, for {size.QueueRun.TotalSeconds:F0} s");
        await Task.Delay(size.QueueRun);
        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-6);
        var caughtUp = await rig.WaitForCatchUpAsync(probes, settledBefore, TimeSpan.FromSeconds(60));
        report.Require(caughtUp is not null, "the hosts had not worked off the occurrences due before the window's end 60 s later");
        foreach (var host in rig.Hosts)
        {
            report.Require(!host.HasExited, $"{host.Name} exited: {rig.Describe(host)}");
        }

        report.Require(await rig.StopHostsAsync(), "a host did not stop on SIGTERM");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;
        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, probes);
        var ignored = rig.Hosts.Sum(h => h.IgnoredDeliveries);
        report.Figure("deliveries that found their occurrence started or settled and ran nothing", $"{ignored}");
        report.Require(ignored >= report.Occurrences / 2, $"only {ignored} duplicate deliveries reached a host for {report.Occurrences} occurrences: the duplicates were not exercised");
        report.Duration = clock.Elapsed;
        return report;
    }
}
