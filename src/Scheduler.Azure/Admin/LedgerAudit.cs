using Scheduler.Auditing;
using Scheduler.Planning;
using Scheduler.Azure.Storage;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Azure.Admin;

/// <summary>One schedule's audit: the window actually audited, the fates, and why the window was narrowed.</summary>
public sealed record ScheduleAudit(ScheduleKey Key, DateTimeOffset From, DateTimeOffset To, AuditResult Result, string? Note);

/// <summary>
/// For a time window, every occurrence each schedule should have had and its fate by the ledger. A schedule's window
/// starts no earlier than its last edit (before it, a different definition applied) and ends at
/// <c>settledBefore</c> (later occurrences may not have been dispatched yet).
/// </summary>
public sealed class LedgerAudit(DefinitionStore definitions, StateStore states, ValidationContext validation)
{
    public async Task<IReadOnlyList<ScheduleAudit>> AuditAsync(DateTimeOffset from, DateTimeOffset to, DateTimeOffset settledBefore, CancellationToken cancellationToken = default)
    {
        var audits = new List<ScheduleAudit>();
        await foreach (var entity in definitions.ScanAsync(cancellationToken))
        {
            var key = DefinitionStore.KeyOf(entity);
            if (!ScheduleValidator.TryValidate(key, DefinitionStore.ColumnsOf(entity), validation, out var definition, out _) || !definition.Enabled)
            {
                continue;
            }

            var edits = await states.ReadEditsAsync(key, 1, cancellationToken);
            DateTimeOffset? lastEdit = edits.Count > 0 ? edits[0].DetectedAt : null;
            var start = lastEdit is { } edited && edited > from ? edited : from;
            var end = settledBefore < to ? settledBefore : to;
            if (end < start)
            {
                continue;
            }

            var ledger = (await states.ReadRunsAsync(key, cancellationToken: cancellationToken))
                .Where(r => (r.LastDue ?? r.Due) >= start && r.Due <= end)
                .Select(r => new LedgerFact(r.Due, r.Attempt, r.Status, r.LastDue));
            // An occurrence with jitter fires after its due time: it is expected only once it has fired by the settle time.
            var dues = ScheduleTimeline.For(definition).Between(start, end)
                .Where(due => due + Jitter.For(key.Value, due, definition.Policies.Jitter) <= settledBefore);
            var result = OccurrenceAudit.Audit(dues, start, end, ledger);
            audits.Add(new ScheduleAudit(key, start, end, result, start > from ? $"audited from its last edit at {start:O}" : null));
        }

        return audits;
    }
}
