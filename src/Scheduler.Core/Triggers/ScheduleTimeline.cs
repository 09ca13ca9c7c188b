using Scheduler.Schedules;

namespace Scheduler.Triggers;

/// <summary>
/// A schedule's due times: its trigger bounded by StartAt and EndAt, checked to advance strictly. The only way the
/// dispatcher asks "when next?", so a trigger that fails to advance is caught here rather than looping.
/// </summary>
internal sealed class ScheduleTimeline
{
    private readonly ITrigger _trigger;
    private readonly DateTimeOffset? _startAt;
    private readonly DateTimeOffset? _endAt;

    public ScheduleTimeline(ITrigger trigger, DateTimeOffset? startAt, DateTimeOffset? endAt)
    {
        _trigger = trigger;
        _startAt = startAt;
        _endAt = endAt;
    }

    public static ScheduleTimeline For(ScheduleDefinition definition)
    {
        ITrigger trigger = definition.Trigger switch
        {
            TriggerSpec.Cron cron => CronParsing.TryParse(cron.Expression, out var expression, out var error)
                ? new CronTrigger(expression!, CronParsing.HasIntervalField(cron.Expression), definition.TimeZone, definition.Policies.Dst)
                : throw new ArgumentException(error, nameof(definition)),
            TriggerSpec.Interval interval => new IntervalTrigger(interval.Every, definition.StartAt ?? DateTimeOffset.UnixEpoch),
            TriggerSpec.Once once => new OnceTrigger(once.At),
            _ => throw new ArgumentOutOfRangeException(nameof(definition), definition.Trigger, "unknown trigger"),
        };
        return new ScheduleTimeline(trigger, definition.StartAt, definition.EndAt);
    }

    /// <summary>The first due time strictly after <paramref name="after"/>, or null if there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        var from = _startAt is { } start && after < start ? start.AddTicks(-1) : after;
        DateTimeOffset? next;
        try
        {
            next = _trigger.NextAfter(from);
        }
        catch (ArgumentOutOfRangeException)
        {
            next = null; // past the last representable instant (year 9999): there is no next time
        }

        if (next is { } produced && produced <= after)
        {
            throw new NonAdvancingTriggerException(after, produced);
        }

        return next is { } n && _endAt is { } end && n > end ? null : next;
    }

    /// <summary>The latest due time in [<paramref name="notBefore"/>, <paramref name="at"/>], found without walking every occurrence.</summary>
    public DateTimeOffset? LatestAtOrBefore(DateTimeOffset at, DateTimeOffset notBefore)
    {
        if (at < notBefore)
        {
            return null;
        }

        if (_trigger is IntervalTrigger interval)
        {
            var latest = interval.LatestAtOrBefore(_endAt is { } end && end < at ? end : at);
            return latest is { } l && l >= notBefore && (_startAt is null || l >= _startAt) ? l : null;
        }

        // Widen a window backwards from `at` until it holds an occurrence, then walk only that window.
        var window = TimeSpan.FromSeconds(1);
        while (true)
        {
            var start = at - notBefore <= window ? notBefore : at - window;
            DateTimeOffset? found = null;
            for (var next = Next(start.AddTicks(-1)); next is { } n && n <= at; next = Next(n))
            {
                found = n;
            }

            if (found is not null || start == notBefore)
            {
                return found;
            }

            window *= 4;
        }
    }

    /// <summary>How many due times lie in [<paramref name="from"/>, <paramref name="to"/>], counting at most <paramref name="cap"/>.</summary>
    public long Count(DateTimeOffset from, DateTimeOffset to, long cap = 100_000)
    {
        if (to < from)
        {
            return 0;
        }

        if (_trigger is IntervalTrigger interval)
        {
            var lower = _startAt is { } s && s > from ? s : from;
            var upper = _endAt is { } e && e < to ? e : to;
            return Math.Min(cap, interval.CountBetween(lower, upper));
        }

        long count = 0;
        for (var next = Next(from.AddTicks(-1)); next is { } n && n <= to && count < cap; next = Next(n))
        {
            count++;
        }

        return count;
    }

    /// <summary>Every due time in [<paramref name="from"/>, <paramref name="to"/>], in order.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset from, DateTimeOffset to)
    {
        for (var next = Next(from.AddTicks(-1)); next is { } due && due <= to; next = Next(due))
        {
            yield return due;
        }
    }

    /// <summary>The next <paramref name="count"/> due times after <paramref name="after"/>.</summary>
    public IReadOnlyList<DateTimeOffset> Preview(DateTimeOffset after, int count)
    {
        var result = new List<DateTimeOffset>(count);
        for (var next = Next(after); next is { } n && result.Count < count; next = Next(n))
        {
            result.Add(n);
        }

        return result;
    }
}
