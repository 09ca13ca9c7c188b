using System.Diagnostics;
using Scheduler.Reliability.Harness;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// Azurite (keeping its data in a folder) stopped mid-run and started again on the same ports. The host must log the
/// outage, back off and recover without a restart; occurrences due during the outage follow each schedule's misfire
/// policy (run late within the grace, by Latest or All; Missed beyond it), and nothing is unaccounted.
/// </summary>
internal static class OutageScenario
{
    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport("storage outage (Azurite stopped and restarted)");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("outage", persistent: true);
        var probes = await ProbeSchedules.AddAsync(rig, "outage", 30, i => (i % 3) switch
        {
            0 => ProbeSchedules.Every(TimeSpan.FromSeconds(1), rig),
            1 => ProbeSchedules.Cron("*/2 * * * * *", rig) with { Coalesce = CoalescePolicy.All, MisfireGraceSeconds = 120 },
            _ => ProbeSchedules.Every(TimeSpan.FromSeconds(3), rig, workMilliseconds: 1000) with { MisfireGraceSeconds = 5 },
        });
        report.Schedules = probes.Count;
        var from = DateTimeOffset.UtcNow;
        var host = rig.StartHost();
        var outages = new List<(DateTimeOffset From, DateTimeOffset To)>();
        for (var outage = 1; outage <= size.Outages; outage++)
        {
            await Task.Delay(TimeSpan.FromSeconds(12));
            var down = DateTimeOffset.UtcNow;
            await rig.StopStorageAsync();
            progress.WriteLine($"  outage {outage}/{size.Outages}: Azurite stopped for {size.OutageLength.TotalSeconds:F0} s");
            await Task.Delay(size.OutageLength);
            await rig.StartStorageAsync();
            outages.Add((down, DateTimeOffset.UtcNow));
            report.Outages++;
            report.Require(!host.HasExited, $"{host.Name} exited during outage {outage}: {rig.Describe(host)}");
        }

        await Task.Delay(TimeSpan.FromSeconds(25));
        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-8);
        report.Require(await rig.WaitForCatchUpAsync(probes, settledBefore, TimeSpan.FromSeconds(60)) is not null, "the host had not worked off the occurrences due before the window's end 60 s later");
        report.Require(!host.HasExited, $"{host.Name} exited: {rig.Describe(host)}");
        report.Require(await rig.StopHostsAsync(), "the host did not stop on SIGTERM");
        report.Require(host.OutageLines > 0, "the host never logged the outage");
        // One line per recovery: outages close together (the soak's come 12 s apart, while a backlog still runs) can
        // share one, when no invocation succeeded between them. That it recovered, and ran after the last, is the check.
        report.Require(host.RecoveredLines >= 1, $"the host never logged that storage answers again ({size.Outages} outages)");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;
        report.Figure("outage log lines (backing off)", $"{host.OutageLines}");
        report.Figure("recoveries logged", $"{host.RecoveredLines}");

        await LedgerCheck.AuditAsync(rig, report, from, settledBefore, probes);
        var ranAfter = 0;
        var missedDuring = 0L;
        foreach (var key in probes)
        {
            var ledger = await rig.States.ReadRunsAsync(key);
            ranAfter += ledger.Count(r => r.Status == RunStatus.Succeeded && r.Due > outages[^1].To);
            missedDuring += ledger.Where(r => r.Status == RunStatus.Missed && outages.Any(o => r.Due < o.To && (r.LastDue ?? r.Due) >= o.From)).Sum(r => r.Count);
        }

        report.Figure("occurrences due in an outage recorded Missed by policy", $"{missedDuring}");
        report.Figure("runs after the last outage", $"{ranAfter}");
        report.Require(ranAfter > 0, "nothing ran after storage came back");
        report.Require(missedDuring > 0, "no occurrence due in the outage was recorded Missed: the misfire policy was not exercised");
        report.Duration = clock.Elapsed;
        return report;
    }
}
