using System.Globalization;

namespace Scheduler.Schedules;

/// <summary>Parses "00:05:00" (TimeSpan) or the shorthand "30s", "5m", "2h", "1d", up to <see cref="Max"/>.</summary>
internal static class IntervalParsing
{
    /// <summary>The longest interval: 100 years. Longer ones would run past the calendar's end (year 9999) in arithmetic.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(36_525);

    /// <summary>False for text that is not a duration; a duration over <see cref="Max"/> parses and is refused by the validator.</summary>
    public static bool TryParse(string text, out TimeSpan interval)
    {
        text = text.Trim();
        if (text.Length >= 2 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            long? unitTicks = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.TicksPerSecond,
                'm' => TimeSpan.TicksPerMinute,
                'h' => TimeSpan.TicksPerHour,
                'd' => TimeSpan.TicksPerDay,
                _ => null,
            };
            if (unitTicks is { } unit)
            {
                // Saturates instead of overflowing: "100000000d" is a (too long) duration, not an exception.
                interval = n > TimeSpan.MaxValue.Ticks / unit ? TimeSpan.MaxValue : TimeSpan.FromTicks(n * unit);
                return true;
            }
        }

        return TimeSpan.TryParseExact(text, ["c", "g"], CultureInfo.InvariantCulture, out interval);
    }
}
