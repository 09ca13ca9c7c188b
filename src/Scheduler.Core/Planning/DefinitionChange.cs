using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Planning;

/// <summary>Re-plans a schedule's state when its definition row is added, edited, made invalid, fixed or removed.</summary>
internal static class DefinitionChange
{
    /// <summary>
    /// A valid definition. Due times are planned from the moment of the edit (<paramref name="changedAt"/>, the entry's
    /// Timestamp), so a RunAt written a moment before the tick still runs; an edit that leaves the timing alone keeps
    /// the planned due time, so an overdue occurrence is not dropped by an unrelated edit.
    /// </summary>
    public static ScheduleState Apply(ScheduleState? state, ScheduleDefinition definition, string etag, string snapshot, DateTimeOffset changedAt)
    {
        var current = state ?? ScheduleState.Empty;
        var timing = TimingOf(definition);
        var basis = current with { DefinitionETag = etag, Definition = snapshot, Timing = timing, Error = null };
        if (!definition.Enabled)
        {
            return basis with { Status = ScheduleStatus.Paused, NextDue = null, Pending = [.. current.Pending.Where(p => p.Kind != PendingKind.Buffered)] };
        }

        var keepDue = current.Status == ScheduleStatus.Active && current.Timing == timing && current.NextDue is not null;
        DateTimeOffset? next;
        try
        {
            var from = current.LastDue is { } last && last > changedAt ? last : changedAt.AddTicks(-1);
            if (definition.Trigger is TriggerSpec.Once once && current.LastDue is null && once.At <= from && once.At >= changedAt - definition.Policies.MisfireGrace)
            {
                from = once.At.AddTicks(-1); // "run at now" written a moment ago still runs, as it would within its misfire grace
            }

            next = keepDue ? current.NextDue : ScheduleTimeline.For(definition).Next(from);
        }
        catch (NonAdvancingTriggerException ex)
        {
            return Invalidate(basis, [ex.Message]);
        }

        var finished = next is null && current.InFlight.Count == 0 && current.Pending.Count == 0;
        return basis with { Status = finished ? ScheduleStatus.Finished : ScheduleStatus.Active, NextDue = next };
    }

    /// <summary>A definition that does not validate: nothing new runs, the message says what to fix, runs in flight finish.</summary>
    public static ScheduleState ApplyInvalid(ScheduleState? state, IReadOnlyList<string> errors, string etag, string snapshot) =>
        Invalidate((state ?? ScheduleState.Empty) with { DefinitionETag = etag, Definition = snapshot, Timing = null }, errors);

    /// <summary>
    /// Occurrences the old version had due by <paramref name="now"/> and not yet dispatched (a host catching up, or
    /// down) that the new state will not run: a pause, a removal, an invalid entry or a new timing would otherwise drop
    /// them without a trace. Recorded Missed with <paramref name="reason"/>, in the edit's transaction. Null when none.
    /// </summary>
    /// <param name="before">The state the change replaces; <paramref name="timeline"/> is its version's (null: only its next due is known).</param>
    public static LedgerNote? Overdue(ScheduleState before, ScheduleTimeline? timeline, ScheduleState after, DateTimeOffset now, string reason)
    {
        if (before.Status != ScheduleStatus.Active || before.NextDue is not { } first || first > now)
        {
            return null;
        }

        // The new state runs from its own next due on: older ones of the old version are the ones dropped.
        var keptFrom = after.Status == ScheduleStatus.Active && after.NextDue is { } next ? next : DateTimeOffset.MaxValue;
        var dropped = (timeline?.Between(first, now) ?? [first]).TakeWhile(due => due < keptFrom).Take(MaxCounted + 1).ToList();
        if (dropped.Count == 0)
        {
            return null;
        }

        if (dropped.Count <= MaxCounted)
        {
            return new LedgerNote(Runs.RunStatus.Missed, dropped[0], dropped[^1], dropped.Count, reason);
        }

        var last = keptFrom <= now ? keptFrom.AddTicks(-1) : now;
        return new LedgerNote(Runs.RunStatus.Missed, dropped[0], last, timeline!.Count(first, last), reason);
    }

    /// <summary>Beyond this many, dropped occurrences are counted without listing them.</summary>
    private const int MaxCounted = 10_000;

    public static ScheduleState ApplyDeleted(ScheduleState state) =>
        state with { Status = ScheduleStatus.Deleted, NextDue = null, Pending = [], DefinitionETag = null, Error = null };

    private static ScheduleState Invalidate(ScheduleState state, IReadOnlyList<string> errors) =>
        state with { Status = ScheduleStatus.Invalid, Error = string.Join("; ", errors), NextDue = null, Pending = [] };

    /// <summary>
    /// What the planned due times depend on. It names the tzdb release for zones with offset changes, so a state
    /// planned under an older release is planned again (<see cref="DuePlanner"/>) once the app ships a newer one.
    /// </summary>
    public static string TimingOf(ScheduleDefinition d) =>
        $"{d.Trigger}|{d.TimeZone.Id}|{d.StartAt:O}|{d.EndAt:O}|{d.Policies.Dst}" +
        (TimeZones.HasRules(d.TimeZone) ? $"|tzdb {TimeZones.TzdbVersion}" : "");
}
