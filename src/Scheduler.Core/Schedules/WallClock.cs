namespace Scheduler.Schedules;

/// <summary>Converts wall-clock times in a zone to instants, deterministically across DST transitions.</summary>
public static class WallClock
{
    /// <summary>
    /// A time in a spring-forward gap is moved forward by the gap's length (02:30 becomes 03:30 when 02:00 jumps to 03:00);
    /// a time in a fall-back overlap is its first instant.
    /// </summary>
    public static DateTimeOffset ToInstant(DateTime wall, TimeZoneInfo zone)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        if (zone.IsAmbiguousTime(wall))
        {
            var offsets = zone.GetAmbiguousTimeOffsets(wall);
            return new DateTimeOffset(wall, offsets.Max()).ToUniversalTime();
        }

        if (zone.IsInvalidTime(wall))
        {
            var before = zone.GetUtcOffset(wall.AddHours(-3));
            return new DateTimeOffset(wall - before, TimeSpan.Zero);
        }

        return new DateTimeOffset(wall, zone.GetUtcOffset(wall)).ToUniversalTime();
    }

    /// <summary>The instant as the zone's local time, with the zone's offset at that instant.</summary>
    public static DateTimeOffset InZone(DateTimeOffset instant, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(instant, zone);
}
