using System.Globalization;

namespace Scheduler.Schedules;

/// <summary>A schedule's trigger in words, for listings: common cron shapes are spelled out, the rest shown as cron.</summary>
internal static class ScheduleDescription
{
    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    /// <summary>Said wherever a cron expression restricts both day fields: Cronos matches a day when both match.</summary>
    public const string BothDayFieldsNote =
        "runs only on days that match both day-of-month and day-of-week (classic cron runs on days that match either)";

    public static string Describe(TriggerSpec trigger, NodaTime.DateTimeZone zone) => trigger switch
    {
        TriggerSpec.Interval i => $"every {Span(i.Every)}",
        TriggerSpec.Once o => string.Create(CultureInfo.InvariantCulture, $"once at {WallClock.InZone(o.At, zone):yyyy-MM-dd HH:mm:ss zzz}"),
        TriggerSpec.Cron c when Triggers.CronParsing.RestrictsBothDayFields(c.Expression) => $"{Cron(c.Expression)}; {BothDayFieldsNote}",
        TriggerSpec.Cron c => Cron(c.Expression),
        _ => trigger.ToString() ?? "",
    };

    private static string Cron(string expression)
    {
        var f = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length == 6)
        {
            if (f[1..].All(x => x == "*"))
            {
                return f[0] == "*" ? "every second" : f[0].StartsWith("*/", StringComparison.Ordinal) ? $"every {f[0][2..]} seconds" : $"cron \"{expression}\"";
            }

            if (f[0] != "0")
            {
                return $"cron \"{expression}\"";
            }

            f = f[1..];
        }

        if (f.Length != 5)
        {
            return $"cron \"{expression}\"";
        }

        var (minute, hour, dayOfMonth, month, dayOfWeek) = (f[0], f[1], f[2], f[3], f[4]);
        if (hour == "*" && dayOfMonth == "*" && month == "*" && dayOfWeek == "*")
        {
            if (minute == "*")
            {
                return "every minute";
            }

            if (minute.StartsWith("*/", StringComparison.Ordinal))
            {
                return $"every {minute[2..]} minutes";
            }

            if (int.TryParse(minute, out var m))
            {
                return $"hourly at :{m:D2}";
            }
        }

        if (!int.TryParse(minute, out var min) || !int.TryParse(hour, out var h) || month != "*")
        {
            return $"cron \"{expression}\"";
        }

        var at = $"{h:D2}:{min:D2}";
        return (dayOfMonth, dayOfWeek) switch
        {
            ("*", "*") => $"daily at {at}",
            ("*", "MON-FRI" or "1-5") => $"weekdays at {at}",
            ("*", _) when DayName(dayOfWeek) is { } day => $"{day}s at {at}",
            ("L", "*") => $"last day of the month at {at}",
            (_, "*") when int.TryParse(dayOfMonth, out var d) => $"monthly on day {d} at {at}",
            _ => $"cron \"{expression}\"",
        };
    }

    private static string? DayName(string field)
    {
        if (int.TryParse(field, out var n) && n is >= 0 and <= 7)
        {
            return Days[n % 7];
        }

        var index = Array.FindIndex(Days, d => d[..3].Equals(field, StringComparison.OrdinalIgnoreCase));
        return index >= 0 ? Days[index] : null;
    }

    private static string Span(TimeSpan span) => span switch
    {
        _ when span.TotalDays >= 1 && span.TotalDays % 1 == 0 => Plural((long)span.TotalDays, "day"),
        _ when span.TotalHours >= 1 && span.TotalHours % 1 == 0 => Plural((long)span.TotalHours, "hour"),
        _ when span.TotalMinutes >= 1 && span.TotalMinutes % 1 == 0 => Plural((long)span.TotalMinutes, "minute"),
        _ when span.TotalSeconds % 1 == 0 => Plural((long)span.TotalSeconds, "second"),
        _ => span.ToString("c", CultureInfo.InvariantCulture),
    };

    private static string Plural(long n, string unit) => n == 1 ? unit : $"{n} {unit}s";
}
