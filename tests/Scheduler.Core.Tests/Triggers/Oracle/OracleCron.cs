namespace Scheduler.Core.Tests.Triggers.Oracle;

/// <summary>
/// The tests' own cron matcher, written without Cronos: numbers, lists, ranges, steps and <c>*</c> in 5 or 6 fields
/// (day-of-week 0 and 7 are Sunday). A day matches when both day fields match, as Cronos documents.
/// </summary>
internal sealed class OracleCron
{
    private readonly bool[] _seconds;
    private readonly bool[] _minutes;
    private readonly bool[] _hours;
    private readonly bool[] _days;
    private readonly bool[] _months;
    private readonly bool[] _weekdays;

    public OracleCron(string text)
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 5)
        {
            fields = ["0", .. fields];
        }

        Text = text;
        HasSeconds = fields[0] != "0";
        _seconds = Field(fields[0], 0, 59);
        _minutes = Field(fields[1], 0, 59);
        _hours = Field(fields[2], 0, 23);
        _days = Field(fields[3], 1, 31);
        _months = Field(fields[4], 1, 12);
        _weekdays = Field(fields[5], 0, 7);
        _weekdays[0] |= _weekdays[7];
        IsInterval = fields[..3].Any(f => f.IndexOfAny(['*', '-', '/']) >= 0);
    }

    public string Text { get; }

    /// <summary>"Every so often": a <c>*</c>, range or step in the second, minute or hour field.</summary>
    public bool IsInterval { get; }

    public bool HasSeconds { get; }

    public bool MatchesDay(DateTime day) => _months[day.Month] && _days[day.Day] && _weekdays[(int)day.DayOfWeek];

    public bool MatchesHour(int hour) => _hours[hour];

    public bool MatchesMinute(int minute) => _minutes[minute];

    public bool MatchesSecond(int second) => _seconds[second];

    private static bool[] Field(string field, int low, int high)
    {
        var allowed = new bool[high + 1];
        foreach (var part in field.Split(','))
        {
            var (range, step) = part.Split('/') is [var r, var s] ? (r, int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)) : (part, 1);
            var (from, to) = range == "*" ? (low, high)
                : range.Split('-') is [var a, var b] ? (int.Parse(a, System.Globalization.CultureInfo.InvariantCulture), int.Parse(b, System.Globalization.CultureInfo.InvariantCulture))
                : (int.Parse(range, System.Globalization.CultureInfo.InvariantCulture), part.Contains('/') ? high : int.Parse(range, System.Globalization.CultureInfo.InvariantCulture));
            for (var value = from; value <= to; value += step)
            {
                allowed[value] = true;
            }
        }

        return allowed;
    }
}
