using System.Globalization;

namespace Scheduler.Schedules;

/// <summary>Parses "00:05:00" (TimeSpan) or the shorthand "30s", "5m", "2h", "1d".</summary>
public static class IntervalParsing
{
    public static bool TryParse(string text, out TimeSpan interval)
    {
        text = text.Trim();
        if (text.Length >= 2 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 100_000_000)
        {
            TimeSpan? shorthand = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (shorthand is { } value)
            {
                interval = value;
                return true;
            }
        }

        return TimeSpan.TryParseExact(text, ["c", "g"], CultureInfo.InvariantCulture, out interval);
    }
}
