using Scheduler.Runs;

namespace Scheduler.Storage;

/// <summary>One row of the run ledger: an attempt at an occurrence, or a summary of occurrences Skipped or Missed.</summary>
internal sealed record LedgerEntry(
    string RowKey,
    RunStatus Status,
    DateTimeOffset Due,
    int Attempt,
    string? Reason,
    string? Instance,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? ErrorType,
    string? ErrorMessage,
    long Count,
    DateTimeOffset? LastDue,
    string? InputsRead,
    DateTimeOffset? ClaimedAt = null,
    DateTimeOffset? LeaseUntil = null,
    string? Fault = null)
{
    public TimeSpan? Duration => StartedAt is { } s && FinishedAt is { } f ? f - s : null;
}

/// <summary>One row of a schedule's edit history: what the definition was, what it became, and when the dispatcher saw it.</summary>
/// <summary>One applied change of a schedule's entry. <see cref="ChangedAt"/>: the entry's own change time (absent for removals and older rows).</summary>
internal sealed record EditEntry(string Change, DateTimeOffset DetectedAt, string? Previous, string? New, string Status, string? Error, string? Fault = null, DateTimeOffset? ChangedAt = null);
