using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Planning;

/// <summary>Folds a finished run into the schedule's state: releases its claim and schedules a retry when the policy allows.</summary>
public static class Completion
{
    /// <summary>
    /// Returns the new state, or null when the run no longer holds a claim (its lease expired and the occurrence was
    /// taken over): its result still goes to the ledger, but the state belongs to the newer attempt.
    /// </summary>
    public static ScheduleState? Apply(ScheduleState state, SchedulePolicies policies, ClaimedRun run, RunOutcome outcome)
    {
        var claim = state.InFlight.FirstOrDefault(r => r.Due == run.Due && r.Attempt == run.Attempt);
        if (claim is null)
        {
            return null;
        }

        var inFlight = state.InFlight.Where(r => r != claim).ToList();
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

        var finished = state.Status == ScheduleStatus.Active && state.NextDue is null && inFlight.Count == 0 && pending.Count == 0;
        return state with
        {
            InFlight = inFlight,
            Pending = pending,
            LastDue = state.LastDue is { } last && last > run.Due ? last : run.Due,
            LastStatus = outcome.Status,
            LastFinishedAt = outcome.FinishedAt,
            LastError = outcome.ErrorMessage,
            Status = finished ? ScheduleStatus.Finished : state.Status,
        };
    }

    /// <summary>Requests a run now (the admin API's "trigger"), handled by the next tick through the ordinary claim path.</summary>
    public static ScheduleState RequestRun(ScheduleState state, DateTimeOffset now) => RequestRuns(state, [now], now);

    /// <summary>Requests runs of the given occurrences (a trigger, a backfill), runnable from <paramref name="now"/>.</summary>
    public static ScheduleState RequestRuns(ScheduleState state, IEnumerable<DateTimeOffset> dues, DateTimeOffset now) => state with
    {
        Pending = [.. state.Pending, .. dues.Select(due => new PendingRun(due, 1, now, PendingKind.Manual))],
        Status = state.Status == ScheduleStatus.Finished ? ScheduleStatus.Active : state.Status,
    };
}
