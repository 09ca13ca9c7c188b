using Cronos;

namespace Scheduler.Triggers;

/// <summary>Parses 5-field (minute precision) and 6-field (with seconds) cron expressions with Cronos, with messages a person can act on.</summary>
internal static class CronParsing
{
    public static bool TryParse(string text, out CronExpression? expression, out string? error)
    {
        expression = null;
        var trimmed = text.Trim();
        var fields = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var isMacro = fields.Length == 1 && trimmed.StartsWith('@');
        if (!isMacro && fields.Length is not (5 or 6))
        {
            error = $"Cron \"{trimmed}\" has {fields.Length} field{(fields.Length == 1 ? "" : "s")}; use 5 (minute precision, e.g. \"*/5 * * * *\") or 6 (with seconds, e.g. \"*/10 * * * * *\")";
            return false;
        }

        try
        {
            expression = CronExpression.Parse(trimmed, fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            error = null;
            return true;
        }
        catch (CronFormatException ex)
        {
            error = $"Cron \"{trimmed}\" is not valid: {ex.Message}";
            return false;
        }
    }

    /// <summary>
    /// True when the second, minute or hour field holds a <c>*</c>, <c>?</c>, range or step (Cronos's rule): such an
    /// expression means "every so often", so it keeps running through the second pass of an overlap.
    /// </summary>
    public static bool HasIntervalField(string text)
    {
        var fields = Expand(text.Trim()).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var timeFields = fields.Length == 6 ? fields[..3] : fields.Length == 5 ? fields[..2] : [];
        return timeFields.Any(f => f.IndexOfAny(['*', '?', '-', '/']) >= 0);
    }

    /// <summary>True when both day-of-month and day-of-week are restricted: Cronos then needs both to match (classic cron: either).</summary>
    public static bool RestrictsBothDayFields(string text)
    {
        var fields = Expand(text.Trim()).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is not (5 or 6))
        {
            return false;
        }

        var offset = fields.Length - 5;
        return !IsAny(fields[offset + 2]) && !IsAny(fields[offset + 4]);
    }

    private static bool IsAny(string field) => field is "*" or "?";

    private static string Expand(string text) => text.ToLowerInvariant() switch
    {
        "@every_second" => "* * * * * *",
        "@every_minute" => "* * * * *",
        "@hourly" => "0 * * * *",
        "@daily" or "@midnight" => "0 0 * * *",
        "@weekly" => "0 0 * * 0",
        "@monthly" => "0 0 1 * *",
        "@yearly" or "@annually" => "0 0 1 1 *",
        _ => text,
    };
}
