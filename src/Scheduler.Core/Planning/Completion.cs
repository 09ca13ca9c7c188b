using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Planning;

/// <summary>Folds a finished run into the schedule's state: releases its claim and schedules a retry when the policy allows.</summary>
internal static class Completion
{
    /// <summary>
    /// Returns the new state, or null when the run no longer holds a claim (its lease expired and the occurrence was
    /// taken over): its result still goes to the ledger, but the state belongs to the newer attempt. An abandoned run
    /// (its handler ignores cancellation and still runs) keeps its place, marked abandoned, under a fresh lease of
    /// <paramref name="abandonedLease"/>, until <see cref="ReleaseAbandoned"/>.
    /// </summary>
    public static ScheduleState? Apply(ScheduleState state, SchedulePolicies policies, ClaimedRun run, RunOutcome outcome, TimeSpan abandonedLease = default)
    {
        var claim = state.InFlight.FirstOrDefault(r => r.Is(run.Due, run.Attempt) && !r.Abandoned);
        if (claim is null)
        {
            return null;
        }

        var inFlight = state.InFlight.Where(r => r != claim).ToList();
        if (outcome.Abandoned)
        {
            inFlight.Add(claim with { Abandoned = true, LeaseUntil = outcome.FinishedAt + abandonedLease });
        }

        var pending = state.Pending.ToList();
        var attempt = run.Attempt + 1;
        if (outcome.Interrupted && run.Attempt < Math.Max(policies.MaxAttempts, DuePlanner.CrashAttempts) && state.Status == ScheduleStatus.Active)
        {
            // The host stopped mid-run: release the occurrence so another instance runs it now.
            pending.Add(new PendingRun(run.Due, attempt, outcome.FinishedAt, PendingKind.Abandoned));
        }
        else if (outcome.ShouldRetry && run.Attempt < policies.MaxAttempts && state.Status == ScheduleStatus.Active)
        {
            pending.Add(new PendingRun(run.Due, attempt, outcome.FinishedAt + policies.BackoffBefore(attempt), PendingKind.Retry));
        }

        return state with
        {
            InFlight = inFlight,
            Pending = pending,
            LastDue = state.LastDue is { } last && last > run.Due ? last : run.Due,
            LastStatus = outcome.Status,
            LastFinishedAt = outcome.FinishedAt,
            LastError = outcome.ErrorMessage,
            Status = FinishedIfDone(state.Status, state.NextDue, inFlight, pending),
        };
    }

    /// <summary>An abandoned handler really ended: its place is free. Null when it no longer holds one (its lease ran out).</summary>
    public static ScheduleState? ReleaseAbandoned(ScheduleState state, DateTimeOffset due, int attempt)
    {
        var held = state.InFlight.FirstOrDefault(r => r.Is(due, attempt) && r.Abandoned);
        if (held is null)
        {
            return null;
        }

        var inFlight = state.InFlight.Where(r => r != held).ToList();
        return state with { InFlight = inFlight, Status = FinishedIfDone(state.Status, state.NextDue, inFlight, state.Pending) };
    }

    /// <summary>An abandoned handler still runs in a live process: its place is held for longer. Null when it holds none.</summary>
    public static ScheduleState? RenewAbandoned(ScheduleState state, DateTimeOffset due, int attempt, DateTimeOffset leaseUntil)
    {
        var held = state.InFlight.FirstOrDefault(r => r.Is(due, attempt) && r.Abandoned);
        return held is null ? null : state with { InFlight = [.. state.InFlight.Select(r => r == held ? r with { LeaseUntil = leaseUntil } : r)] };
    }

    /// <summary>
    /// RunOccurrence starts a queued run. Null when the claim is not held or not queued: a duplicate or late message
    /// starts nothing. The lease counts from the start (<paramref name="leaseUntil"/>, from <see cref="DuePlanner.LeaseFrom"/>):
    /// time the message spent in the queue must not shorten the run's, or another instance takes over a run in progress.
    /// </summary>
    public static ScheduleState? StartQueued(ScheduleState state, DateTimeOffset due, int attempt, DateTimeOffset now, DateTimeOffset leaseUntil)
    {
        var claim = state.InFlight.FirstOrDefault(r => r.Is(due, attempt) && r.Queued);
        return claim is null
            ? null
            : state with { InFlight = [.. state.InFlight.Select(r => r == claim ? r with { Queued = false, StartedAt = now, LeaseUntil = leaseUntil } : r)] };
    }

    /// <summary>Requests a run now (the admin API's "trigger"), handled by the next tick through the ordinary claim path.</summary>
    public static ScheduleState RequestRun(ScheduleState state, DateTimeOffset now) => RequestRuns(state, [now], now);

    /// <summary>Requests runs of the given occurrences (a trigger, a backfill), runnable from <paramref name="now"/>.</summary>
    /// <exception cref="ArgumentException">The state would hold more than <see cref="DuePlanner.MaxPending"/> waiting runs.</exception>
    public static ScheduleState RequestRuns(ScheduleState state, IReadOnlyCollection<DateTimeOffset> dues, DateTimeOffset now)
    {
        if (state.Pending.Count + dues.Count > DuePlanner.MaxPending)
        {
            throw new ArgumentException(
                $"the schedule already has {state.Pending.Count} runs waiting; {dues.Count} more would pass the limit of {DuePlanner.MaxPending}. " +
                "Request fewer (a shorter backfill range) or wait until some have run");
        }

        return state with
        {
            Pending = [.. state.Pending, .. dues.Select(due => new PendingRun(due, 1, now, PendingKind.Manual))],
            Status = state.Status == ScheduleStatus.Finished ? ScheduleStatus.Active : state.Status,
        };
    }

    private static ScheduleStatus FinishedIfDone(ScheduleStatus status, DateTimeOffset? nextDue, IReadOnlyCollection<InFlightRun> inFlight, IReadOnlyCollection<PendingRun> pending) =>
        status == ScheduleStatus.Active && nextDue is null && inFlight.Count == 0 && pending.Count == 0 ? ScheduleStatus.Finished : status;
}
