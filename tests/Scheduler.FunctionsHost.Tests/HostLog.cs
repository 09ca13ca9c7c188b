using System.Globalization;
using System.Text.RegularExpressions;

namespace Scheduler.FunctionsHost.Tests;

/// <summary>What the host's own log says: when the timer fired, which functions ran.</summary>
public static partial class HostLog
{
    /// <summary>The schedule times the host fired SchedulerTick for ("Timer fired at ...").</summary>
    public static IReadOnlyList<DateTimeOffset> TimerFires(IEnumerable<string> lines) =>
        [.. lines.Select(l => TimerFired().Match(l)).Where(m => m.Success)
            .Select(m => DateTimeOffset.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal))];

    public static int Count(IEnumerable<string> lines, string text) => lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    [GeneratedRegex(@"Executing 'Functions\.SchedulerTick' \(Reason='Timer fired at ([^']+)'")]
    private static partial Regex TimerFired();
}
