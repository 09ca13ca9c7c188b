using Cronos;

namespace Scheduler.Triggers;

/// <summary>Parses 5-field (minute precision) and 6-field (with seconds) cron expressions with Cronos, with messages a person can act on.</summary>
public static class CronParsing
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
}
