using Azure.Data.Tables;
using Scheduler.Auditing;
using Scheduler.Storage;
using Scheduler.Reliability.Jobs;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Reliability.Harness;

/// <summary>
/// The verdict of a scenario: the ledger audit over a settled window, and for probe schedules the probe's own rows
/// against the ledger (one effect per occurrence that ran, no attempt executed twice, every execution's attempt in the ledger).
/// </summary>
internal static class LedgerCheck
{
    /// <param name="probes">Probe schedules: their probe rows are compared with the ledger.</param>
    /// <param name="only">Audit only these schedules (default: every valid, enabled schedule).</param>
    /// <param name="starts">Filled with each first attempt's due time and start, for lateness figures.</param>
    public static async Task AuditAsync(
        Rig rig, ScenarioReport report, DateTimeOffset from, DateTimeOffset settledBefore, ISet<ScheduleKey>? probes = null, ISet<ScheduleKey>? only = null,
        List<(DateTimeOffset Due, DateTimeOffset Started)>? starts = null)
    {
        report.Diagnostics.AddRange(rig.Diagnostics());
        var latencies = new List<double>();
        var executions = 0;
        var reruns = 0;
        var replays = 0;
        foreach (var audit in await AuditsAsync(rig, from, settledBefore, only))
        {
            foreach (var occurrence in audit.Result.Occurrences)
            {
                report.Fates[occurrence.Fate]++;
                if (occurrence.Fate is OccurrenceFate.Unaccounted or OccurrenceFate.RanMoreThanOnce or OccurrenceFate.InProgress)
                {
                    report.Problems.Add($"{audit.Key} due {occurrence.Due:O}: {occurrence.Fate} after {occurrence.Attempts} attempt(s)");
                }
            }

            foreach (var extra in audit.Result.ExtraRuns)
            {
                report.Problems.Add($"{audit.Key} ran at {extra:O}, which is no occurrence of its schedule");
            }

            var ledger = await rig.States.ReadRunsAsync(audit.Key);
            var firsts = ledger.Where(r => r.Attempt == 1 && r.StartedAt is not null && r.Due >= audit.From && r.Due <= audit.To).ToList();
            latencies.AddRange(firsts.Select(r => (r.StartedAt!.Value - r.Due).TotalMilliseconds));
            starts?.AddRange(firsts.Select(r => (r.Due, r.StartedAt!.Value)));
            if (probes?.Contains(audit.Key) == true)
            {
                var probe = await ProbeAsync(rig, audit.Key, audit.From, audit.To);
                executions += probe.Executions;
                reruns += probe.Reruns;
                replays += probe.Replays;
                CompareWithLedger(report, audit.Key, audit.Result, ledger, probe);
            }
        }

        if (probes is not null)
        {
            report.Figure("probe executions", $"{executions}");
            report.Figure("re-runs (attempt > 1)", $"{reruns}");
            report.Figure("effects found already done (crash between effect and record)", $"{replays}");
            report.Figure("timed out with the effect already written", $"{report.TimedOutAfterEffect}");
            report.Figure("lost with their host after the effect (ledger: LostWithHost, outcome unknown)", $"{report.LostAfterEffect}");
        }

        if (latencies.Count > 0)
        {
            latencies.Sort();
            report.Figure("due-to-start p50 / p99 / max", $"{Percentile(latencies, 0.50):F0} / {Percentile(latencies, 0.99):F0} / {latencies[^1]:F0} ms");
        }
    }

    /// <summary>
    /// Schedules the harness made (it knows their specs) are judged by its own due times; everything else (fuzzed
    /// entries, poisons) by the product's audit, which starts a window at the schedule's last edit.
    /// </summary>
    private static async Task<IReadOnlyList<(ScheduleKey Key, DateTimeOffset From, DateTimeOffset To, AuditResult Result)>> AuditsAsync(
        Rig rig, DateTimeOffset from, DateTimeOffset settledBefore, ISet<ScheduleKey>? only)
    {
        var audits = (await rig.Audit.AuditAsync(from, settledBefore, settledBefore))
            .Where(a => !rig.Specs.ContainsKey(a.Key) && (only is null || only.Contains(a.Key)))
            .Select(a => (a.Key, a.From, a.To, a.Result)).ToList();
        foreach (var (key, spec) in rig.Specs.Where(s => only is null || only.Contains(s.Key)))
        {
            var facts = (await rig.States.ReadRunsAsync(key)).Select(r => new LedgerFact(r.Due, r.Attempt, r.Status, r.LastDue));
            audits.Add((key, from, settledBefore, OccurrenceAudit.Audit(IndependentDues.Between(spec, from, settledBefore), from, settledBefore, facts)));
        }

        return audits;
    }

    private static void CompareWithLedger(ScenarioReport report, ScheduleKey key, AuditResult audit, IReadOnlyList<LedgerEntry> ledger, ProbeRowsRead probe)
    {
        var attempts = ledger.Where(r => r.Attempt > 0).Select(r => (r.Due, r.Attempt)).ToHashSet();
        foreach (var duplicate in probe.ExecutionsByAttempt.Where(e => e.Value > 1))
        {
            report.DuplicateExecutions++;
            report.Problems.Add($"{key} due {duplicate.Key.Due:O}: attempt {duplicate.Key.Attempt} executed {duplicate.Value} times");
        }

        foreach (var (due, attempt) in probe.ExecutionsByAttempt.Keys.Where(e => !attempts.Contains(e)))
        {
            report.Problems.Add($"{key} due {due:O}: the probe executed attempt {attempt}, which the ledger does not record");
        }

        foreach (var occurrence in audit.Occurrences)
        {
            var effect = probe.Effects.Contains(occurrence.Due);
            if (occurrence.Fate == OccurrenceFate.RanOnce && !effect)
            {
                report.Problems.Add($"{key} due {occurrence.Due:O}: the ledger says it succeeded but the probe's effect is missing");
            }
            else if (effect && occurrence.Fate == OccurrenceFate.FailedAfterRetries
                     && ledger.Where(r => r.Due == occurrence.Due && r.Attempt > 0).MaxBy(r => r.Attempt)?.Status == RunStatus.TimedOut)
            {
                // Cancelled by its timeout while its last write was already on the wire: the ledger rightly says
                // TimedOut, the effect landed once. The ambiguity every timeout has; the idempotency key keeps a retry safe.
                report.TimedOutAfterEffect++;
            }
            else if (effect && occurrence.Fate == OccurrenceFate.LostWithHost)
            {
                // Its last attempt died with its host after the effect: the ledger rightly says the outcome is unknown.
                report.LostAfterEffect++;
            }
            else if (effect && occurrence.Fate is not (OccurrenceFate.RanOnce or OccurrenceFate.InProgress))
            {
                report.Problems.Add($"{key} due {occurrence.Due:O}: the probe's effect happened but the ledger says {occurrence.Fate}");
            }
        }
    }

    private static async Task<ProbeRowsRead> ProbeAsync(Rig rig, ScheduleKey key, DateTimeOffset from, DateTimeOffset to)
    {
        var read = new ProbeRowsRead();
        await foreach (var row in rig.Probe.QueryAsync<TableEntity>(e => e.PartitionKey == ProbeRows.Partition(key), select: ["RowKey"]))
        {
            var (kind, due, attempt) = ProbeRows.Parse(row.RowKey);
            if (due < from || due > to)
            {
                continue;
            }

            switch (kind)
            {
                case ProbeRows.Execution:
                    read.Executions++;
                    read.Reruns += attempt > 1 ? 1 : 0;
                    read.ExecutionsByAttempt[(due, attempt)] = read.ExecutionsByAttempt.GetValueOrDefault((due, attempt)) + 1;
                    break;
                case ProbeRows.Effect:
                    read.Effects.Add(due);
                    break;
                case ProbeRows.Replay:
                    read.Replays++;
                    break;
            }
        }

        return read;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private sealed class ProbeRowsRead
    {
        public int Executions { get; set; }
        public int Reruns { get; set; }
        public int Replays { get; set; }
        public HashSet<DateTimeOffset> Effects { get; } = [];
        public Dictionary<(DateTimeOffset Due, int Attempt), int> ExecutionsByAttempt { get; } = [];
    }
}
