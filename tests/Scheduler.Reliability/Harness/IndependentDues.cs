using System.Text.RegularExpressions;
using Scheduler.Admin;

namespace Scheduler.Reliability.Harness;

/// <summary>
/// The harness's own answer to "which occurrences were due", computed without the product's timeline (Cronos, the
/// interval trigger, ScheduleTimeline), so a timeline bug shows up as a disagreement instead of passing unseen.
/// It knows only the shapes the scenarios use: intervals anchored at the Unix epoch, every-N-seconds crons, one-shots.
/// </summary>
internal static partial class IndependentDues
{
    public static IReadOnlyList<DateTimeOffset> Between(ScheduleSpec spec, DateTimeOffset from, DateTimeOffset to)
    {
        if (spec.StartAt is not null || spec.EndAt is not null || (spec.TimeZone ?? "UTC") != "UTC")
        {
            throw new NotSupportedException("the independent oracle knows only unbounded UTC schedules");
        }

        if (spec.RunAt is { } once)
        {
            return once >= from && once <= to ? [once] : [];
        }

        var period = spec.Interval ?? EverySeconds(spec.Cron ?? throw new NotSupportedException("no trigger"));
        var first = (from.UtcTicks + period.Ticks - 1) / period.Ticks * period.Ticks;
        var dues = new List<DateTimeOffset>();
        for (var ticks = first; ticks <= to.UtcTicks; ticks += period.Ticks)
        {
            dues.Add(new DateTimeOffset(ticks, TimeSpan.Zero));
        }

        return dues;
    }

    /// <summary>"* * * * * *" or "*/N * * * * *" with N dividing 60: every N seconds from each whole minute.</summary>
    private static TimeSpan EverySeconds(string cron)
    {
        var match = SecondsCron().Match(cron);
        var n = !match.Success ? 0 : match.Groups[1].Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 1;
        return n > 0 && 60 % n == 0 ? TimeSpan.FromSeconds(n) : throw new NotSupportedException($"the independent oracle does not know cron \"{cron}\"");
    }

    [GeneratedRegex(@"^(?:\*|\*/(\d+)) \* \* \* \* \*$")]
    private static partial Regex SecondsCron();
}
