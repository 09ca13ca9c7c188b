using NodaTime;
using NodaTime.TimeZones;

namespace Scheduler.Schedules;

/// <summary>
/// Resolves IANA ("Europe/London") and Windows ("GMT Standard Time") zone ids to zones of the IANA time zone database
/// that ships with NodaTime, so a schedule's times are the same on every machine, whatever the OS's own zone data.
/// </summary>
internal static class TimeZones
{
    private static readonly TzdbDateTimeZoneSource Source = TzdbDateTimeZoneSource.Default;

    private static readonly Dictionary<string, string> IdsIgnoringCase = BuildIdsIgnoringCase();

    /// <summary>The IANA time zone database release every due time is computed with, e.g. "2025b".</summary>
    public static string TzdbVersion => Source.TzdbVersion;

    public static DateTimeZone Utc => DateTimeZone.Utc;

    public static bool TryResolve(string id, out DateTimeZone zone)
    {
        zone = DateTimeZone.Utc;
        if (id.Length is 0 or > 64)
        {
            return false;
        }

        if (IdsIgnoringCase.TryGetValue(id, out var tzdbId))
        {
            zone = tzdbId == "UTC" ? DateTimeZone.Utc : DateTimeZoneProviders.Tzdb[tzdbId];
            return true;
        }

        return false;
    }

    /// <summary>True when due times in the zone depend on the tzdb's rules (every zone but UTC and fixed offsets).</summary>
    public static bool HasRules(DateTimeZone zone) => zone.MinOffset != zone.MaxOffset;

    private static Dictionary<string, string> BuildIdsIgnoringCase()
    {
        var ids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (windowsId, tzdbId) in Source.WindowsMapping.PrimaryMapping)
        {
            ids.TryAdd(windowsId, tzdbId);
        }

        foreach (var tzdbId in Source.GetIds())
        {
            ids[tzdbId] = tzdbId; // an IANA id wins over a Windows id spelled the same
        }

        ids["UTC"] = "UTC";
        ids["Etc/UTC"] = "UTC";

        return ids;
    }
}
