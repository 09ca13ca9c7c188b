using System.Globalization;

namespace Scheduler.Cli.Commands;

internal static class Times
{
    public sealed record Pair(string Local, string Utc)
    {
        public override string ToString() => $"{Local} ({Utc})";
    }

    public static Pair InZoneAndUtc(DateTimeOffset instant, NodaTime.DateTimeZone zone) =>
        new(Scheduler.Schedules.WallClock.InZone(instant, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture), Iso(instant)!);

    public static string? Iso(DateTimeOffset? instant) => instant?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture);

    public static string? Format(object? value) => value switch
    {
        DateTimeOffset d => Iso(d),
        DateTime d => Iso(new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc))),
        null => null,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };
}
