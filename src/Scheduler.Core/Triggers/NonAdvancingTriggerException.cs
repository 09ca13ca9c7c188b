namespace Scheduler.Triggers;

/// <summary>A trigger produced a due time that is not strictly later than the one it was asked to follow.</summary>
internal sealed class NonAdvancingTriggerException(DateTimeOffset after, DateTimeOffset produced)
    : InvalidOperationException($"the trigger produced {produced:O} after {after:O}; a next due time must be strictly later (report this schedule's definition)")
{
    public DateTimeOffset After { get; } = after;
    public DateTimeOffset Produced { get; } = produced;
}
