namespace Scheduler.Triggers;

/// <summary>Computes due times. UTC in, UTC out; <c>null</c> means "never again".</summary>
internal interface ITrigger
{
    /// <summary>The first due time strictly after <paramref name="after"/>.</summary>
    DateTimeOffset? NextAfter(DateTimeOffset after);
}
