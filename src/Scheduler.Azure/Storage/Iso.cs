using System.Globalization;

namespace Scheduler.Storage;

/// <summary>Instants stored as round-trip ISO 8601 strings: exact to the tick (occurrence identity depends on it) and readable in a table editor.</summary>
internal static class Iso
{
    public static string? Format(DateTimeOffset? at) => at?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset? Parse(string? text) =>
        string.IsNullOrEmpty(text) ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
