using Scheduler.Runs;
using Scheduler.Triggers;

namespace Scheduler.Auditing;

/// <summary>What became of one occurrence, by the ledger.</summary>
internal enum OccurrenceFate
{
    /// <summary>Exactly one attempt succeeded (earlier attempts may have failed and been retried).</summary>
    RanOnce,
    /// <summary>The job itself decided to skip this run (JobSkippedException): it ran, and said so.</summary>
    SkippedByJob,
    /// <summary>More than one attempt succeeded: a duplicate execution, a defect.</summary>
    RanMoreThanOnce,
    /// <summary>Covered by a Missed row: not run, as the misfire policy says.</summary>
    MissedByPolicy,
    /// <summary>Covered by a Skipped row: not run, as the overlap policy says.</summary>
    SkippedByOverlap,
    /// <summary>Every attempt failed or timed out and none is still running.</summary>
    FailedAfterRetries,
    /// <summary>
    /// No attempt succeeded and the last one was lost with its host (killed, crashed, scaled in) before it reported:
    /// the outcome is unknown, and re-runs stopped at their limit. Accounted for, and worth a look.
    /// </summary>
    LostWithHost,
    /// <summary>An attempt is still running (or waiting for its retry).</summary>
    InProgress,
    /// <summary>
    /// Fell due while an edit of its schedule was taking effect (after the entry changed, before a dispatcher applied
    /// it) and the ledger has nothing for it: the new version replaced it. Not a defect.
    /// </summary>
    ReplacedByEdit,
    /// <summary>No ledger row speaks of it: a lost occurrence, a defect.</summary>
    Unaccounted,
}

/// <summary>The ledger facts the audit needs from one row.</summary>
internal sealed record LedgerFact(DateTimeOffset Due, int Attempt, RunStatus Status, DateTimeOffset? LastDue = null);

internal sealed record AuditedOccurrence(DateTimeOffset Due, OccurrenceFate Fate, int Attempts);

internal sealed record AuditResult(IReadOnlyList<AuditedOccurrence> Occurrences, IReadOnlyList<DateTimeOffset> ExtraRuns)
{
    public int Count(OccurrenceFate fate) => Occurrences.Count(o => o.Fate == fate);

    /// <summary>Unaccounted and duplicated occurrences: what the audit exits non-zero for.</summary>
    public IReadOnlyList<AuditedOccurrence> Defects =>
        [.. Occurrences.Where(o => o.Fate is OccurrenceFate.Unaccounted or OccurrenceFate.RanMoreThanOnce)];
}

/// <summary>
/// Lists every occurrence a schedule should have had in a window and its fate by the ledger. Pure: the caller
/// supplies the timeline and the ledger rows. Runs at due times that are not occurrences (manual runs, backfills of
/// other ranges) are reported as extra, not as defects.
/// </summary>
internal static class OccurrenceAudit
{
    public static AuditResult Audit(ScheduleTimeline timeline, DateTimeOffset from, DateTimeOffset to, IEnumerable<LedgerFact> ledger) =>
        Audit(timeline.Between(from, to), from, to, ledger);

    /// <summary>The audit against due times the caller computed itself (an independent oracle, for tests that judge the timeline too).</summary>
    public static AuditResult Audit(IEnumerable<DateTimeOffset> dues, DateTimeOffset from, DateTimeOffset to, IEnumerable<LedgerFact> ledger) =>
        Audit(dues.Select(d => new ExpectedOccurrence(d, AtAnEdit: false)), from, to, ledger);

    /// <summary>The audit across a schedule's versions (<see cref="ExpectedOccurrences"/>).</summary>
    public static AuditResult Audit(IEnumerable<ExpectedOccurrence> occurrences, DateTimeOffset from, DateTimeOffset to, IEnumerable<LedgerFact> ledger)
    {
        var rows = ledger.ToList();
        var attempts = rows.Where(r => r.Attempt > 0).GroupBy(r => r.Due).ToDictionary(g => g.Key, g => g.ToList());
        var notes = rows.Where(r => r.Attempt == 0 && r.Status is RunStatus.Missed or RunStatus.Skipped).ToList();
        var expected = new List<AuditedOccurrence>();
        var seen = new HashSet<DateTimeOffset>();
        foreach (var occurrence in occurrences.Where(o => o.Due >= from && o.Due <= to).DistinctBy(o => o.Due).OrderBy(o => o.Due))
        {
            seen.Add(occurrence.Due);
            var audited = Classify(occurrence.Due, attempts.GetValueOrDefault(occurrence.Due), notes);
            expected.Add(occurrence.AtAnEdit && audited.Fate == OccurrenceFate.Unaccounted ? audited with { Fate = OccurrenceFate.ReplacedByEdit } : audited);
        }

        var extra = attempts.Keys.Where(d => d >= from && d <= to && !seen.Contains(d)).Order().ToList();
        return new AuditResult(expected, extra);
    }

    private static AuditedOccurrence Classify(DateTimeOffset due, List<LedgerFact>? runs, List<LedgerFact> notes)
    {
        if (runs is { Count: > 0 })
        {
            var succeeded = runs.Count(r => r.Status == RunStatus.Succeeded);
            var fate = succeeded switch
            {
                > 1 => OccurrenceFate.RanMoreThanOnce,
                1 => OccurrenceFate.RanOnce,
                _ when runs.Any(r => r.Status == RunStatus.Skipped) => OccurrenceFate.SkippedByJob,
                _ when runs.Any(r => r.Status == RunStatus.Running) => OccurrenceFate.InProgress,
                _ when runs.MaxBy(r => r.Attempt)!.Status == RunStatus.Lost => OccurrenceFate.LostWithHost,
                _ => OccurrenceFate.FailedAfterRetries,
            };
            return new AuditedOccurrence(due, fate, runs.Count);
        }

        var note = notes.FirstOrDefault(n => n.Due <= due && due <= (n.LastDue ?? n.Due));
        return new AuditedOccurrence(due, note?.Status switch
        {
            RunStatus.Missed => OccurrenceFate.MissedByPolicy,
            RunStatus.Skipped => OccurrenceFate.SkippedByOverlap,
            _ => OccurrenceFate.Unaccounted,
        }, 0);
    }
}
