using Scheduler.Auditing;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Admin;

/// <summary>One schedule's audit: the window actually audited, the fates, and what shaped the window (edits, pauses, removal).</summary>
internal sealed record ScheduleAudit(ScheduleKey Key, DateTimeOffset From, DateTimeOffset To, AuditResult Result, string? Note);

/// <summary>
/// For a time window, every occurrence each schedule should have had and its fate by the ledger, across its edits:
/// the edit history says which version was in force when (paused and removed versions call for nothing), so a
/// schedule edited, paused or removed in the window is audited over all of it. Occurrences after
/// <c>settledBefore</c> are left out (they may not have been dispatched yet).
/// </summary>
internal sealed class LedgerAudit(DefinitionStore definitions, StateStore states, ValidationContext validation)
{
    /// <summary>
    /// A removal is seen at the next scan, and the entry's change time is gone with it: occurrences of the removed
    /// version due this long before the removal was seen are judged by the ledger alone (a tick reads edits, at least
    /// once a minute by default).
    /// </summary>
    public static readonly TimeSpan UnseenRemoval = TimeSpan.FromMinutes(2);

    public async Task<IReadOnlyList<ScheduleAudit>> AuditAsync(DateTimeOffset from, DateTimeOffset to, DateTimeOffset settledBefore, CancellationToken cancellationToken = default)
    {
        var current = new Dictionary<ScheduleKey, (IReadOnlyDictionary<string, object?> Columns, DateTimeOffset Since)>();
        await foreach (var entity in definitions.ScanAsync(cancellationToken))
        {
            current[DefinitionStore.KeyOf(entity)] = (DefinitionStore.ColumnsOf(entity), entity.Timestamp ?? DateTimeOffset.MinValue);
        }

        var keys = current.Keys.ToHashSet();
        await foreach (var (key, _, _) in states.ScanAsync((_, _) => { }, cancellationToken))
        {
            keys.Add(key); // removed schedules too: their state row stays, marked Deleted
        }

        var end = settledBefore < to ? settledBefore : to;
        var audits = new List<ScheduleAudit>();
        foreach (var key in keys.OrderBy(k => k.Value, StringComparer.Ordinal))
        {
            var edits = await states.ReadEditsAsync(key, cancellationToken: cancellationToken);
            var (versions, notes) = Versions(key, edits, current.TryGetValue(key, out var entry) ? entry : null, from);
            if (versions.Count == 0 || end < from)
            {
                continue;
            }

            var start = versions[0].AppliedAt > from ? versions[0].AppliedAt : from;
            var expected = ExpectedOccurrences.Between(versions, start, end,
                (definition, due) => due + Jitter.For(key.Value, due, definition.Policies.Jitter) <= settledBefore);
            var ledger = (await states.ReadRunsAsync(key, cancellationToken: cancellationToken))
                .Where(r => (r.LastDue ?? r.Due) >= start && r.Due <= end)
                .Select(r => new LedgerFact(r.Due, r.Attempt, r.Status, r.LastDue));
            var result = OccurrenceAudit.Audit(expected, start, end, ledger);
            if (start > end || (expected.Count == 0 && !result.ExtraRuns.Any() && versions.All(v => v.Definition is not { Enabled: true })))
            {
                continue; // nothing was ever due in the window: paused, removed or invalid all along
            }

            audits.Add(new ScheduleAudit(key, start, end, result, notes.Count == 0 ? null : string.Join("; ", notes)));
        }

        return audits;
    }

    /// <summary>
    /// The versions in force from the window's start on, oldest first, from the edit history (newest first). A
    /// schedule's first version counts from when a dispatcher applied it. Without history (rows older than edit
    /// history, or an entry no dispatcher has picked up yet) the entry as it is now counts from its last change.
    /// </summary>
    private (List<DefinitionVersion> Versions, List<string> Notes) Versions(
        ScheduleKey key, IReadOnlyList<EditEntry> newestFirst, (IReadOnlyDictionary<string, object?> Columns, DateTimeOffset Since)? now, DateTimeOffset from)
    {
        var notes = new List<string>();
        var history = newestFirst.Where(e => e.Fault is null).Reverse().ToList();
        var versions = new List<DefinitionVersion>();
        if (history.Count == 0)
        {
            if (now is { } entry && Validate(key, entry.Columns) is { } current)
            {
                var since = entry.Since > from ? entry.Since : from;
                versions.Add(new DefinitionVersion(since, since, current));
            }

            return (versions, notes);
        }

        // The versions that matter: the last one applied before the window, and every one after.
        var first = Math.Max(0, history.FindLastIndex(e => e.DetectedAt <= from));
        for (var i = first; i < history.Count; i++)
        {
            var edit = history[i];
            var definition = edit.New is { } snapshot && edit.Status != nameof(ScheduleStatus.Invalid) ? Validate(key, ColumnSnapshot.Deserialize(snapshot)) : null;
            var changedAt = edit.ChangedAt ?? (edit.Change == "Deleted" ? edit.DetectedAt - UnseenRemoval : edit.DetectedAt);
            if (versions.Count == 0 && edit.Change is not ("Added" or "Re-added" or "Re-created") && edit.DetectedAt > from)
            {
                notes.Add($"edit history before {Iso(edit.DetectedAt)} is no longer kept: audited from then");
            }

            versions.Add(new DefinitionVersion(versions.Count == 0 ? edit.DetectedAt : changedAt, edit.DetectedAt, definition));
            if (edit.DetectedAt > from)
            {
                notes.Add(Describe(edit, definition));
            }
        }

        return (versions, notes);
    }

    private static string Describe(EditEntry edit, ScheduleDefinition? definition) => edit.Change switch
    {
        "Deleted" => $"removed {Iso(edit.DetectedAt)}",
        _ when edit.Status == nameof(ScheduleStatus.Invalid) => $"invalid from {Iso(edit.DetectedAt)}",
        _ when definition is { Enabled: false } => $"paused {Iso(edit.DetectedAt)}",
        var change => $"{change.ToLowerInvariant()} {Iso(edit.DetectedAt)}",
    };

    private static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A version as it was applied: its job is taken as known (the catalog may have changed since).</summary>
    private ScheduleDefinition? Validate(ScheduleKey key, IReadOnlyDictionary<string, object?> columns)
    {
        var context = validation.Accepting(columns.GetValueOrDefault(ScheduleColumns.Job) as string);
        return ScheduleValidator.TryValidate(key, columns, context, out var definition, out _) ? definition : null;
    }
}
