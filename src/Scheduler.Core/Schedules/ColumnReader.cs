using System.Globalization;

namespace Scheduler.Schedules;

/// <summary>
/// Reads typed values out of a table entry's loosely typed columns, collecting one actionable message per bad column.
/// Numbers and booleans written as strings are accepted when they parse exactly: the portal and Storage Explorer
/// create String columns by default, and refusing "3" for MaxAttempts would punish the ordinary way of editing.
/// </summary>
internal sealed class ColumnReader(IReadOnlyDictionary<string, object?> columns, List<string> errors)
{
    public bool Has(string name) => columns.TryGetValue(name, out var v) && v is not null && !(v is string s && string.IsNullOrWhiteSpace(s));

    public string? String(string name, int maxLength = 1024)
    {
        if (!columns.TryGetValue(name, out var value) || value is null)
        {
            return null;
        }

        if (value is not string text)
        {
            errors.Add($"{name} must be a string; found {Describe(value)}");
            return null;
        }

        if (text.Length > maxLength)
        {
            errors.Add($"{name} is {text.Length} characters long; the limit is {maxLength}");
            return null;
        }

        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }

    public int Int(string name, int fallback, int min, int max)
    {
        if (!Has(name))
        {
            return fallback;
        }

        long? parsed = columns[name] switch
        {
            int i => i,
            long l => l,
            double d when Math.Abs(d % 1) < double.Epsilon && d is >= long.MinValue and <= long.MaxValue => (long)d,
            string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
            _ => null,
        };

        if (parsed is null)
        {
            errors.Add($"{name} must be a whole number; found {Describe(columns[name])}");
            return fallback;
        }

        if (parsed < min || parsed > max)
        {
            errors.Add($"{name} is {parsed}; use a value from {min} to {max}");
            return fallback;
        }

        return (int)parsed.Value;
    }

    public TimeSpan Seconds(string name, TimeSpan fallback, int min, int max) =>
        Has(name) ? TimeSpan.FromSeconds(Int(name, (int)fallback.TotalSeconds, min, max)) : fallback;

    public bool Bool(string name, bool fallback)
    {
        if (!Has(name))
        {
            return fallback;
        }

        switch (columns[name])
        {
            case bool b:
                return b;
            case string s when bool.TryParse(s.Trim(), out var b):
                return b;
            default:
                errors.Add($"{name} must be true or false; found {Describe(columns[name])}");
                return fallback;
        }
    }

    public TEnum Enum<TEnum>(string name, TEnum fallback)
        where TEnum : struct, System.Enum
    {
        var text = String(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, out _) && System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var value))
        {
            return value;
        }

        errors.Add($"{name} \"{text}\" is not one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
        return fallback;
    }

    private static readonly DateTimeOffset Earliest = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>An instant: a DateTime column (UTC), or an ISO 8601 string; a string without an offset is wall-clock time in <paramref name="zone"/>.</summary>
    public DateTimeOffset? Instant(string name, NodaTime.DateTimeZone zone)
    {
        var instant = ReadInstant(name, zone);
        if (instant is { } at && (at < Earliest || at >= Latest))
        {
            errors.Add($"{name} {at:O} is outside the supported range; use a date from 1900 to 8999");
            return null;
        }

        return instant;
    }

    private DateTimeOffset? ReadInstant(string name, NodaTime.DateTimeZone zone)
    {
        if (!Has(name))
        {
            return null;
        }

        switch (columns[name])
        {
            case DateTimeOffset dto:
                return dto.ToUniversalTime();
            case DateTime dt:
                return new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc));
            case string s:
                var text = s.Trim();
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) && HasExplicitOffset(text))
                {
                    return parsed.ToUniversalTime();
                }

                if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall))
                {
                    try
                    {
                        return WallClock.ToInstant(DateTime.SpecifyKind(wall, DateTimeKind.Unspecified), zone);
                    }
                    catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException or OverflowException)
                    {
                        errors.Add($"{name} \"{Truncate(text)}\" in {zone.Id} falls outside the years 0001 to 9999 in UTC; use a nearer date");
                        return null;
                    }
                }

                errors.Add($"{name} \"{Truncate(text)}\" is not a date and time; use ISO 8601, e.g. 2026-12-01T09:00:00Z or 2026-12-01T09:00 (in the schedule's TimeZone)");
                return null;
            default:
                errors.Add($"{name} must be a date and time; found {Describe(columns[name])}");
                return null;
        }
    }

    private static bool HasExplicitOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && (text[^6] == '+' || text[^6] == '-') && text[^3] == ':');

    internal static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => $"the string \"{Truncate(s)}\"",
        bool b => $"the boolean {b.ToString().ToLowerInvariant()}",
        int or long or double => $"the number {Convert.ToString(value, CultureInfo.InvariantCulture)}",
        DateTime or DateTimeOffset => $"the date {value:O}",
        _ => $"a value of type {value.GetType().Name}",
    };

    internal static string Truncate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
