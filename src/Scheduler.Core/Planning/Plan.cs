using Scheduler.Runs;

namespace Scheduler.Planning;

internal enum ClaimReason
{
    Scheduled,
    Retry,
    Buffered,
    Manual,
    LeaseExpired,
}

/// <summary>One run this instance takes: the occurrence's due time, the attempt number, and why it runs now.</summary>
internal sealed record ClaimedRun(DateTimeOffset Due, int Attempt, ClaimReason Reason, DateTimeOffset LeaseUntil);

/// <summary>Occurrences not run (Skipped or Missed), summarised in one ledger row: the first and last due time and how many.</summary>
internal sealed record LedgerNote(RunStatus Status, DateTimeOffset FirstDue, DateTimeOffset LastDue, long Count, string Reason);

/// <summary>What one planning step decided: the new state, the runs to start, the ledger notes, and the runs whose lease ran out.</summary>
internal sealed record Plan(
    ScheduleState State,
    IReadOnlyList<ClaimedRun> Claims,
    IReadOnlyList<LedgerNote> Notes,
    IReadOnlyList<InFlightRun> Expired)
{
    public bool ChangesSomething(ScheduleState before) =>
        Claims.Count > 0 || Notes.Count > 0 || Expired.Count > 0 || !ReferenceEquals(State, before);
}
