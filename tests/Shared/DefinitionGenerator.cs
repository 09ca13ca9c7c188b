using System.Text;
using Scheduler.Schedules;

namespace Scheduler.Testing;

/// <summary>
/// Generates Schedules entries for fuzzing: random strings, wrong column types, huge and negative numbers, control
/// characters and unicode, '..' and absolute paths, extreme dates, enormous values. Half start from a valid entry
/// and mutate a column or two, so odd-but-valid definitions are common too. Shared by the unit and storage tests.
/// </summary>
public static class DefinitionGenerator
{
    private static readonly string[] Columns = [.. ScheduleColumns.All, "Unknown", "job", " Cron "];

    public static Dictionary<string, object?> Entry(Random random, string job)
    {
        var mutateOnly = random.Next(2) == 0;
        var columns = new Dictionary<string, object?> { ["Job"] = !mutateOnly && random.Next(4) == 0 ? RandomValue(random) : job };
        if (mutateOnly)
        {
            columns[ScheduleColumns.Cron] = Pick(random, "* * * * *", "*/7 * * * * *", "30 2 * * *", "0 0 29 2 *", "0 12 L * *");
            columns[ScheduleColumns.TimeZone] = Pick(random, "UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu");
        }
        else if (random.Next(3) > 0)
        {
            columns[Pick(random, ScheduleColumns.Cron, ScheduleColumns.Interval, ScheduleColumns.RunAt)] = RandomValue(random);
        }

        for (var c = mutateOnly ? random.Next(0, 3) : random.Next(0, 8); c > 0; c--)
        {
            columns[Columns[random.Next(Columns.Length)]] = RandomValue(random);
        }

        return columns;
    }

    public static object? RandomValue(Random random) => random.Next(22) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 => random.Next(),
        3 => -random.Next(),
        4 => long.MaxValue,
        5 => long.MinValue,
        6 => double.NaN,
        7 => double.PositiveInfinity,
        8 => random.NextDouble() * 1e12,
        9 => DateTimeOffset.MinValue,
        10 => DateTimeOffset.MaxValue,
        11 => new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero),
        12 => RandomString(random, random.Next(0, 40)),
        13 => new string('x', 70_000),
        14 => "{\"a\":" + new string('9', 20_000) + "}",
        15 => Pick(random, "* * * * *", "*/5 * * * * *", "0 0 30 2 *", "0 0 29 2 *", "@daily", "L W # ?", "0 */5 * *", "59 23 31 12 5L", "* * * * * * *", ""),
        16 => Pick(random, "imports/incoming/", "imports/../x", "/etc/passwd", "imports", "IMPORTS/", "imports/./a", "https://x/y", "imports\\a", "imp"),
        17 => Pick(random, "00:00:01", "-1.00:00:00", "10675199.02:48:05.4775807", "0s", "99999999999d", "1d", "5m"),
        18 => Pick(random, "UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu", "Etc/GMT+12", "Mars/Olympus", "../../etc/zone", "GMT Standard Time"),
        19 => Pick(random, "0001-01-01T00:00:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00", "2026-03-08T02:30", "2026-11-01T01:30", "not a date"),
        20 => Pick(random, "true", "false", "True", "yes", "1", "-1", "2147483648", "3", "1e3", " 7 "),
        _ => Pick(random, "Skip", "BufferAll", "AllowAll", "Earliest", "None", "Twice", "\u0000", "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ"),
    };

    public static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];

    public static string RandomString(Random random, int length)
    {
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append(random.Next(4) switch
            {
                0 => (char)random.Next(0, 32),
                1 => (char)random.Next(0x4E00, 0x9FFF),
                2 => (char)random.Next(0xD800, 0xDFFF), // lone surrogates
                _ => (char)random.Next(32, 127),
            });
        }

        return builder.ToString();
    }

}
