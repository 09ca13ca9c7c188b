using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Auditing;

/// <summary>
/// One version of a schedule's entry as the dispatcher applied it: the definition (null once removed, or when it did
/// not validate), when the entry was changed (its Timestamp) and when a dispatcher applied the change.
/// </summary>
internal sealed record DefinitionVersion(DateTimeOffset ChangedAt, DateTimeOffset AppliedAt, ScheduleDefinition? Definition);

/// <summary>
/// An occurrence a schedule should have had. One <see cref="AtAnEdit"/> fell due while an edit was taking effect
/// (after the entry changed, before a dispatcher applied it): either version may have run it, so it is judged by
/// what the ledger says and, with nothing there, counted as replaced by the edit rather than lost.
/// </summary>
internal sealed record ExpectedOccurrence(DateTimeOffset Due, bool AtAnEdit);

/// <summary>Every occurrence a schedule's versions called for in a window, across its edits, pauses and removal.</summary>
internal static class ExpectedOccurrences
{
    /// <param name="versions">The applied versions, oldest first.</param>
    /// <param name="fired">Whether an occurrence of a definition has fired by now (its jitter and the settle time).</param>
    public static IReadOnlyList<ExpectedOccurrence> Between(
        IReadOnlyList<DefinitionVersion> versions, DateTimeOffset from, DateTimeOffset to, Func<ScheduleDefinition, DateTimeOffset, bool> fired)
    {
        var expected = new SortedDictionary<DateTimeOffset, bool>();
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i].Definition is not { Enabled: true } definition)
            {
                continue;
            }

            var next = i + 1 < versions.Count ? versions[i + 1] : null;
            // Planned from the change; kept by the dispatcher until it applied the next version.
            var start = versions[i].ChangedAt;
            var end = next?.AppliedAt ?? to;
            var takesOver = i > 0 && versions[i - 1].Definition is { Enabled: true };
            foreach (var due in Dues(definition, start, end, from, to).Where(due => fired(definition, due)))
            {
                var atAnEdit = (next is not null && due >= next.ChangedAt) || (takesOver && due <= versions[i].AppliedAt);
                expected[due] = expected.TryGetValue(due, out var before) ? before && atAnEdit : atAnEdit;
            }
        }

        return [.. expected.Select(e => new ExpectedOccurrence(e.Key, e.Value))];
    }

    private static IEnumerable<DateTimeOffset> Dues(ScheduleDefinition definition, DateTimeOffset start, DateTimeOffset end, DateTimeOffset from, DateTimeOffset to)
    {
        var low = start > from ? start : from;
        var high = end < to ? end : to;
        if (high < low)
        {
            return [];
        }

        // A RunAt written a moment after its time still runs within its misfire grace (as DefinitionChange plans it).
        if (definition.Trigger is TriggerSpec.Once once && once.At < start && once.At >= start - definition.Policies.MisfireGrace)
        {
            return once.At >= from && once.At <= to ? [once.At] : [];
        }

        return ScheduleTimeline.For(definition).Between(low, high);
    }
}
