using Cronos;
using NodaTime;
using NodaTime.TimeZones;
using Scheduler.Schedules;

namespace Scheduler.Triggers;

/// <summary>
/// A cron expression matched on the wall clock of a zone of the IANA database, then mapped to instants with the zone's
/// own offset history (NodaTime), so every offset change counts, not only the ones .NET calls daylight saving.
/// A wall time that does not exist (a gap) runs once at the first instant after the gap, however many matches the gap
/// held, or not at all under <see cref="DstPolicy.Skip"/>. A wall time that exists twice (an overlap) runs at its
/// first instant; in the second pass it runs again only for expressions with an interval field (a <c>*</c>, range or
/// step in the second, minute or hour field: "every 30 minutes" keeps running) or under <see cref="DstPolicy.Twice"/>.
/// </summary>
internal sealed class CronTrigger : ITrigger
{
    /// <summary>More offset changes than any zone has between now and the last year Cronos searches (2499).</summary>
    internal const int MaxZoneIntervals = 4096;

    private readonly CronExpression _expression;
    private readonly DateTimeZone _zone;
    private readonly DstPolicy _dst;
    private readonly bool _repeatsInSecondPass;

    public CronTrigger(CronExpression expression, bool hasIntervalField, DateTimeZone zone, DstPolicy dst)
    {
        _expression = expression;
        _zone = zone;
        _dst = dst;
        _repeatsInSecondPass = hasIntervalField || dst == DstPolicy.Twice;
    }

    public static CronTrigger Parse(string text, DateTimeZone zone, DstPolicy dst) =>
        CronParsing.TryParse(text, out var expression, out var error)
            ? new CronTrigger(expression!, CronParsing.HasIntervalField(text), zone, dst)
            : throw new ArgumentException(error, nameof(text));

    public DateTimeOffset? NextAfter(DateTimeOffset after) => NextAfter(after, out _);

    /// <summary>The next due time, and how many of the zone's offset periods were looked at to find it (bounded).</summary>
    internal DateTimeOffset? NextAfter(DateTimeOffset after, out int periods)
    {
        var instant = Instant.FromDateTimeOffset(after);
        var period = _zone.GetZoneInterval(instant);
        var from = LocalTicks(instant, period.WallOffset);
        var inclusive = false;
        for (periods = 1; periods <= MaxZoneIntervals; periods++)
        {
            if (periods > 1 && _dst != DstPolicy.Skip && GapBefore(period) is var (gapStart, gapEnd) && Matches(gapStart, gapEnd))
            {
                return period.Start.ToDateTimeOffset(); // the first instant after the gap; `after` lies before it
            }

            if (NextWithin(period, from, inclusive) is { } found)
            {
                return found;
            }

            if (!period.HasEnd || Cronos(from, inclusive) is null)
            {
                return null;
            }

            period = _zone.GetZoneInterval(period.End);
            from = LocalTicks(period.Start, period.WallOffset);
            inclusive = true;
        }

        throw new NonAdvancingTriggerException(after, after); // unreachable with the database's zones: the walk is bounded
    }

    /// <summary>The first match in <paramref name="period"/> at or after local <paramref name="from"/>, as an instant.</summary>
    private DateTimeOffset? NextWithin(ZoneInterval period, long from, bool inclusive)
    {
        var end = period.HasEnd ? LocalTicks(period.End, period.WallOffset) : long.MaxValue;
        var secondPassEnd = SecondPassEnd(period);
        var match = Cronos(from, inclusive);
        if (match is { } wall && wall < secondPassEnd && !_repeatsInSecondPass)
        {
            match = Cronos(secondPassEnd, inclusive: true); // a fixed time in the second pass already ran in the first
        }

        return match is { } local && local < end
            ? new DateTimeOffset(local - period.WallOffset.Ticks, TimeSpan.Zero)
            : null;
    }

    /// <summary>Where the second pass of an overlap at the start of <paramref name="period"/> ends (local ticks), or long.MinValue when there is none.</summary>
    private long SecondPassEnd(ZoneInterval period)
    {
        if (!period.HasStart)
        {
            return long.MinValue;
        }

        var previous = _zone.GetZoneInterval(period.Start - Duration.Epsilon);
        return previous.WallOffset > period.WallOffset ? LocalTicks(period.Start, previous.WallOffset) : long.MinValue;
    }

    /// <summary>The local times skipped when <paramref name="period"/> began, [start, end) in local ticks, if it began with a gap.</summary>
    private (long Start, long End)? GapBefore(ZoneInterval period)
    {
        var previous = _zone.GetZoneInterval(period.Start - Duration.Epsilon);
        return previous.WallOffset < period.WallOffset
            ? (LocalTicks(period.Start, previous.WallOffset), LocalTicks(period.Start, period.WallOffset))
            : null;
    }

    private bool Matches(long start, long end) => Cronos(start, inclusive: true) is { } match && match < end;

    /// <summary>Cronos as a pure wall-clock matcher: local times are passed as if they were UTC, so it never converts.</summary>
    private long? Cronos(long localTicks, bool inclusive)
    {
        if (localTicks is <= 0 or >= 3155378975999999999)
        {
            return null;
        }

        return _expression.GetNextOccurrence(new DateTime(localTicks, DateTimeKind.Utc), inclusive)?.Ticks;
    }

    private static long LocalTicks(Instant instant, Offset offset) =>
        Math.Clamp(instant.ToUnixTimeTicks() + DateTime.UnixEpoch.Ticks + offset.Ticks, 0, DateTime.MaxValue.Ticks);
}
