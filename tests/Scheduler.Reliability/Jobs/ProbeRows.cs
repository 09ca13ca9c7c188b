using System.Globalization;
using Scheduler.Schedules;
using Scheduler.Storage;

namespace Scheduler.Reliability.Jobs;

/// <summary>
/// The probe table's keys. One partition per schedule; "x|due|attempt|guid" for every execution (a duplicate
/// execution of one attempt shows as two rows), "e|due" for the effect (written once, guarded by the idempotency key),
/// "r|due|attempt" when an execution found its effect already done (a re-run after a crash between effect and record).
/// </summary>
internal static class ProbeRows
{
    public const string Execution = "x";
    public const string Effect = "e";
    public const string Replay = "r";

    public static string Partition(ScheduleKey key) => key.Value.Replace('|', '~');

    public static string ExecutionKey(DateTimeOffset due, int attempt) =>
        $"{Execution}|{Ticks(due)}|{attempt:D3}|{Guid.NewGuid():N}";

    public static string EffectKey(DateTimeOffset due) => $"{Effect}|{Ticks(due)}";

    public static string ReplayKey(DateTimeOffset due, int attempt) => $"{Replay}|{Ticks(due)}|{attempt:D3}";

    /// <summary>The kind, due time and attempt of a probe row key.</summary>
    public static (string Kind, DateTimeOffset Due, int Attempt) Parse(string rowKey)
    {
        var parts = rowKey.Split('|');
        var due = new DateTimeOffset(long.Parse(parts[1], CultureInfo.InvariantCulture), TimeSpan.Zero);
        return (parts[0], due, parts.Length > 2 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : 0);
    }

    private static string Ticks(DateTimeOffset due) => StateKeys.Ticks(due);
}
