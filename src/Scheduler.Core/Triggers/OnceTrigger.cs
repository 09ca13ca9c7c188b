namespace Scheduler.Triggers;

/// <summary>A single instant.</summary>
internal sealed class OnceTrigger(DateTimeOffset at) : ITrigger
{
    public DateTimeOffset? NextAfter(DateTimeOffset after) => at > after ? at : null;
}
