using Scheduler.Schedules;

namespace Scheduler.Admin;

/// <summary>
/// A schedule's entry changed (or appeared, or went) between reading it and writing it: someone else's edit was
/// kept, not overwritten. <see cref="Current"/> is the entry as it is now (null when it no longer exists).
/// </summary>
public sealed class ScheduleConflictException(ScheduleKey key, IReadOnlyDictionary<string, object?>? current, string message)
    : InvalidOperationException(message)
{
    public ScheduleKey Key { get; } = key;

    public IReadOnlyDictionary<string, object?>? Current { get; } = current;
}
