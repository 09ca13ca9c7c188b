using NodaTime;
using Scheduler.Schedules;

namespace Scheduler.Core.Tests.Triggers.Oracle;

/// <summary>
/// Brute force: walks the wall clock of a zone second by second (minute by minute for 5-field expressions), matches
/// each wall time with <see cref="OracleCron"/>, and resolves it with NodaTime's mapping of that local time:
/// one instant runs; a time that exists twice runs at its first instant, and at its second too for interval
/// expressions or under Twice; a time that does not exist runs at the first instant after the gap, unless Skip.
/// </summary>
internal static class WallClockOracle
{
    public static SortedSet<DateTimeOffset> Occurrences(OracleCron cron, DateTimeZone zone, DstPolicy dst, DateTimeOffset after, DateTimeOffset until)
    {
        var result = new SortedSet<DateTimeOffset>();
        var firstDay = Instant.FromDateTimeOffset(after).InZone(zone).Date.PlusDays(-2);
        var lastDay = Instant.FromDateTimeOffset(until).InZone(zone).Date.PlusDays(2);
        for (var day = firstDay; day <= lastDay; day = day.PlusDays(1))
        {
            if (!cron.MatchesDay(day.ToDateTimeUnspecified()))
            {
                continue;
            }

            for (var hour = 0; hour < 24; hour++)
            {
                if (!cron.MatchesHour(hour))
                {
                    continue;
                }

                for (var minute = 0; minute < 60; minute++)
                {
                    if (!cron.MatchesMinute(minute))
                    {
                        continue;
                    }

                    for (var second = 0; second < 60; second++)
                    {
                        if (cron.MatchesSecond(second))
                        {
                            Resolve(day.At(new LocalTime(hour, minute, second)), cron, zone, dst, result);
                        }
                    }
                }
            }
        }

        result.RemoveWhere(t => t <= after || t > until);
        return result;
    }

    private static void Resolve(LocalDateTime wall, OracleCron cron, DateTimeZone zone, DstPolicy dst, SortedSet<DateTimeOffset> into)
    {
        var mapping = zone.MapLocal(wall);
        switch (mapping.Count)
        {
            case 1:
                into.Add(mapping.Single().ToInstant().ToDateTimeOffset());
                break;
            case 2:
                into.Add(mapping.First().ToInstant().ToDateTimeOffset());
                if (cron.IsInterval || dst == DstPolicy.Twice)
                {
                    into.Add(mapping.Last().ToInstant().ToDateTimeOffset());
                }

                break;
            default:
                if (dst != DstPolicy.Skip)
                {
                    into.Add(mapping.LateInterval.Start.ToDateTimeOffset());
                }

                break;
        }
    }
}
