namespace Scheduler.Schedules;

/// <summary>A schedule entry that cannot run as written. The message says what to fix.</summary>
public sealed class ScheduleValidationException : FormatException
{
    public ScheduleValidationException(ScheduleKey key, IReadOnlyList<string> errors)
        : base($"Schedule {key}: {string.Join("; ", errors)}")
    {
        Key = key;
        Errors = errors;
    }

    public ScheduleKey Key { get; }
    public IReadOnlyList<string> Errors { get; }
}
