using Scheduler.Runs;

namespace Scheduler.Planning;

/// <summary>
/// A run claimed by an instance, with the lease after which it is presumed dead. <paramref name="Queued"/>: claimed
/// for the queue and not yet started by RunOccurrence (starting it is a conditional write, so a duplicate message
/// starts nothing). <paramref name="Abandoned"/>: recorded TimedOut while its handler, ignoring cancellation, still
/// runs; it holds its place against the schedule's concurrency until the handler really ends.
/// </summary>
internal sealed record InFlightRun(
    DateTimeOffset Due,
    int Attempt,
    DateTimeOffset LeaseUntil,
    string Instance,
    DateTimeOffset ClaimedAt,
    bool Queued = false,
    DateTimeOffset? StartedAt = null,
    bool Abandoned = false)
{
    /// <summary>When the run started: never while queued; a claim made inline starts at once.</summary>
    public DateTimeOffset StartedOrNever => Queued ? DateTimeOffset.MaxValue : StartedAt ?? ClaimedAt;

    public bool Is(DateTimeOffset due, int attempt) => Due == due && Attempt == attempt;
}

internal enum PendingKind
{
    Retry,
    Buffered,
    Manual,
    Abandoned,
}

/// <summary>A run waiting to start: a retry after backoff, a buffered overlap, a manual trigger, or a re-run after a lost lease.</summary>
internal sealed record PendingRun(DateTimeOffset Due, int Attempt, DateTimeOffset NotBefore, PendingKind Kind);

/// <summary>The dispatcher's bookkeeping for one schedule. Owned by the dispatcher; people never edit it.</summary>
internal sealed record ScheduleState
{
    public static readonly ScheduleState Empty = new();

    public ScheduleStatus Status { get; init; } = ScheduleStatus.Active;
    public string? Error { get; init; }
    /// <summary>ETag of the Schedules entry this state was planned from; a different ETag means "re-validate and re-plan".</summary>
    public string? DefinitionETag { get; init; }
    /// <summary>The entry's columns as JSON, so a run uses exactly the definition that was validated.</summary>
    public string? Definition { get; init; }
    /// <summary>Trigger, zone and bounds as text: an edit that leaves it unchanged keeps the planned due time.</summary>
    public string? Timing { get; init; }
    public DateTimeOffset? NextDue { get; init; }
    public IReadOnlyList<InFlightRun> InFlight { get; init; } = [];
    public IReadOnlyList<PendingRun> Pending { get; init; } = [];
    public DateTimeOffset? LastDue { get; init; }
    public RunStatus? LastStatus { get; init; }
    public DateTimeOffset? LastFinishedAt { get; init; }
    public string? LastError { get; init; }
}
