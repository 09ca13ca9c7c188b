namespace Scheduler.Triggers;

/// <summary>A single instant.</summary>
public sealed class OnceTrigger(DateTimeOffset at) : ITrigger
{
    public DateTimeOffset? NextAfter(DateTimeOffset after) => at > after ? at : null;
}
