using NodaTime;
using NodaTime.TimeZones;

namespace Scheduler.Schedules;

/// <summary>Converts wall-clock times in a zone to instants and back, deterministically across every offset change.</summary>
internal static class WallClock
{
    private static readonly ZoneLocalMappingResolver EarlierOrShiftedForward =
        Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnForwardShifted);

    /// <summary>
    /// A time in a gap is moved forward by the gap's length (02:30 becomes 03:30 when 02:00 jumps to 03:00; on a
    /// skipped day, the same time a day later); a time that occurs twice is its first instant.
    /// </summary>
    public static DateTimeOffset ToInstant(DateTime wall, DateTimeZone zone) =>
        zone.ResolveLocal(LocalDateTime.FromDateTime(DateTime.SpecifyKind(wall, DateTimeKind.Unspecified)), EarlierOrShiftedForward)
            .ToInstant().ToDateTimeOffset(); // via the instant: DateTimeOffset drops an offset's seconds (Monrovia's -00:44:30)

    /// <summary>
    /// An ISO 8601 time as the Schedules columns take it: with an offset or Z it is that instant; without one it is
    /// wall-clock time in <paramref name="zone"/>. <paramref name="name"/> names it in the message of the FormatException.
    /// </summary>
    public static DateTimeOffset Parse(string name, string text, DateTimeZone zone)
    {
        var errors = new List<string>();
        var instant = new ColumnReader(new Dictionary<string, object?> { [name] = text }, errors).Instant(name, zone);
        return instant is { } at && errors.Count == 0 ? at : throw new FormatException(string.Join("; ", errors));
    }

    /// <summary>The instant as the zone's local time, with the zone's offset at that instant.</summary>
    public static DateTimeOffset InZone(DateTimeOffset instant, DateTimeZone zone) =>
        Instant.FromDateTimeOffset(instant).InZone(zone).ToDateTimeOffset();
}
