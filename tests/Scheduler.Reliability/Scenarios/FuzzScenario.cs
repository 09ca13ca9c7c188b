using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Auditing;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Reliability.Harness;
using Scheduler.Reliability.Jobs;
using Scheduler.Schedules;
using Scheduler.Testing;

namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// Generated entries (wrong types, huge and negative numbers, control characters, '..' and absolute inputs, extreme
/// dates, enormous Args) written straight into the Schedules table with TableClient, beside good schedules with a
/// 2 s misfire grace (so "late" shows up as Missed). The host must not crash or stall; every entry the validator
/// refuses must be marked Invalid with a message, every entry it accepts must not be; the good ones keep firing on time.
/// </summary>
internal static class FuzzScenario
{
    private static readonly TimeSpan FirstBurstSettle = TimeSpan.FromSeconds(15);

    public static async Task<ScenarioReport> RunAsync(ScenarioSize size, TextWriter progress)
    {
        var report = new ScenarioReport("fuzzed definitions");
        var clock = Stopwatch.StartNew();
        await using var rig = await Rig.StartAsync("fuzz");
        var random = new Random(size.Seed);
        var fuzzed = new List<ScheduleKey>();
        var refusedByStorage = 0;
        for (var i = 0; fuzzed.Count < size.FuzzEntries; i++)
        {
            var entity = new TableEntity("fuzz", $"entry-{i:D5}");
            foreach (var (name, value) in DefinitionGenerator.Entry(random, ReliabilityJobs.Probe).Where(c => c.Value is not null && c.Key.Trim().Length > 0 && c.Key == c.Key.Trim()))
            {
                entity[name] = value;
            }

            try
            {
                await rig.Tables.Schedules.UpsertEntityAsync(entity, TableUpdateMode.Replace);
                fuzzed.Add(DefinitionStore.KeyOf(entity));
            }
            catch (Exception ex) when (ex is RequestFailedException or ArgumentException or InvalidOperationException)
            {
                refusedByStorage++; // NaN, over-size values: no table accepts them, so no dispatcher ever sees them
            }
        }

        var good = await ProbeSchedules.AddAsync(rig, "good", 10, i => (i % 2 == 0
            ? ProbeSchedules.Every(TimeSpan.FromSeconds(1), rig)
            : ProbeSchedules.Cron("* * * * * *", rig)) with { MisfireGraceSeconds = 2 });
        report.Fuzzed = fuzzed.Count;
        report.Schedules = fuzzed.Count + good.Count;
        report.Figure("generated entries the Table service refused outright", $"{refusedByStorage}");
        progress.WriteLine($"  {fuzzed.Count} fuzzed entries stored, {refusedByStorage} refused by storage");

        var host = rig.StartHost();
        var started = Stopwatch.StartNew();

        // The window opens once the host has picked up every entry (the good ones last among 1,000 fuzzed): from then
        // on the fuzzed entries must not disturb the good schedules. How long the first pass took is a figure.
        while (started.Elapsed < TimeSpan.FromSeconds(90) && (await Task.WhenAll(good.Select(k => rig.States.GetAsync(k)))).Any(s => s is null))
        {
            await Task.Delay(250);
        }

        report.Figure("first pass over every entry (process start to the good schedules picked up)", $"{started.Elapsed.TotalSeconds:F1} s");

        // Every valid fuzzed entry falls due at once when it is picked up (hundreds at soak size): a start-up burst of
        // load, not a bad row's doing. The window opens once it has been worked off.
        await Task.Delay(FirstBurstSettle);
        report.Figure("settle after the first pass (the new entries' first burst) before the window opens", $"{FirstBurstSettle.TotalSeconds:F0} s");
        var from = DateTimeOffset.UtcNow.AddSeconds(1);
        await Task.Delay(size.FuzzRun);
        var settledBefore = DateTimeOffset.UtcNow.AddSeconds(-6);
        report.Require(await rig.WaitForCatchUpAsync(good.Concat(fuzzed), settledBefore, TimeSpan.FromSeconds(90)) is not null, "the host had not worked off the occurrences due before the window's end 90 s later");
        report.Require(!host.HasExited, $"{host.Name} exited: {rig.Describe(host)}");
        report.Require(host.Ticks >= size.FuzzRun.TotalSeconds / 5 - 1, $"{host.Name} logged only {host.Ticks} ticks in {size.FuzzRun.TotalSeconds:F0} s: it stalled");
        report.Require(await rig.StopHostsAsync(), "the host did not stop on SIGTERM");
        report.MaxTickMilliseconds = rig.MaxTickMilliseconds;

        // Judged as the host judges: by the jobs and input containers it published, not by the harness's own settings.
        var validation = await rig.Services.GetRequiredService<JobCatalogStore>().ReadValidationAsync();
        var invalid = 0;
        var accepted = 0;
        foreach (var key in fuzzed)
        {
            var entity = await rig.Services.GetRequiredService<DefinitionStore>().GetAsync(key);
            var state = (await rig.States.GetAsync(key))?.State;
            var valid = ScheduleValidator.TryValidate(key, DefinitionStore.ColumnsOf(entity!), validation, out _, out var errors);
            if (state is null)
            {
                report.Problems.Add($"{key}: never picked up (no state row)");
            }
            else if (!valid && (state.Status != ScheduleStatus.Invalid || string.IsNullOrWhiteSpace(state.Error)))
            {
                report.Problems.Add($"{key}: refused by the validator ({errors[0]}) but its state is {state.Status} with error \"{state.Error}\"");
            }
            else if (valid && state.Status == ScheduleStatus.Invalid)
            {
                report.Problems.Add($"{key}: valid, yet marked Invalid: {state.Error}");
            }

            invalid += state?.Status == ScheduleStatus.Invalid ? 1 : 0;
            accepted += valid ? 1 : 0;
        }

        report.Figure("fuzzed entries marked Invalid with a message", $"{invalid}");
        report.Figure("fuzzed entries valid (odd but acceptable), scheduled normally", $"{accepted}");
        await LedgerCheck.AuditAsync(rig, report, from, settledBefore);
        var goodReport = new ScenarioReport("good");
        await LedgerCheck.AuditAsync(rig, goodReport, from, settledBefore, good, only: good);
        report.Problems.AddRange(goodReport.Problems.Except(report.Problems));
        foreach (var (name, value) in goodReport.Figures)
        {
            report.Figure($"good schedules: {name}", $"{value}");
        }

        report.Require(goodReport.Fates[OccurrenceFate.MissedByPolicy] == 0, $"{goodReport.Fates[OccurrenceFate.MissedByPolicy]} occurrences of the good schedules started more than 2 s late");
        report.Require(goodReport.Fates[OccurrenceFate.RanOnce] > 0, "the good schedules never ran");
        report.Duration = clock.Elapsed;
        return report;
    }
}
