using Cronos;
using Scheduler.Schedules;

namespace Scheduler.Triggers;

/// <summary>
/// A cron expression evaluated in a time zone. Cronos supplies the cron semantics (a time in a spring-forward gap runs
/// once at the transition; in a fall-back overlap, fixed times run once and interval fields run in both passes);
/// <see cref="DstPolicy"/> adjusts them per schedule.
/// </summary>
public sealed class CronTrigger(CronExpression expression, TimeZoneInfo zone, DstPolicy dst) : ITrigger
{
    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        var next = NextFromCronos(after);
        if (dst == DstPolicy.Twice && SecondPassAfter(after) is { } second && (next is null || second < next))
        {
            next = second;
        }

        return next;
    }

    private DateTimeOffset? NextFromCronos(DateTimeOffset after)
    {
        var next = expression.GetNextOccurrence(after, zone, inclusive: false);
        while (dst == DstPolicy.Skip && next is { } shifted && !MatchesWallClock(shifted))
        {
            next = expression.GetNextOccurrence(shifted, zone, inclusive: false);
        }

        return next?.ToUniversalTime();
    }

    /// <summary>False for an instant Cronos moved out of a spring-forward gap: its wall-clock time is not one the expression names.</summary>
    private bool MatchesWallClock(DateTimeOffset instant)
    {
        var wall = DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(instant, zone).DateTime, DateTimeKind.Utc);
        return expression.GetNextOccurrence(wall, inclusive: true) == wall;
    }

    /// <summary>With <see cref="DstPolicy.Twice"/>: the next wall-clock match in the second pass of the overlap <paramref name="after"/> lies in.</summary>
    private DateTimeOffset? SecondPassAfter(DateTimeOffset after)
    {
        if (!zone.IsAmbiguousTime(after))
        {
            return null;
        }

        var secondOffset = zone.GetAmbiguousTimeOffsets(after).Min();
        var wallInSecondPass = DateTime.SpecifyKind(after.UtcDateTime + secondOffset, DateTimeKind.Utc);
        if (expression.GetNextOccurrence(wallInSecondPass, inclusive: false) is not { } wall)
        {
            return null;
        }

        var candidate = new DateTimeOffset(DateTime.SpecifyKind(wall, DateTimeKind.Unspecified), secondOffset);
        var inZone = TimeZoneInfo.ConvertTime(candidate, zone);
        return zone.IsAmbiguousTime(candidate) && inZone.Offset == secondOffset ? candidate.ToUniversalTime() : null;
    }
}
