using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>
/// Records a finished run: its ledger row and the state it leaves (retry, release, next wake), re-read and re-applied
/// when another writer changed the state meanwhile. Never cancelled: a result must not be lost to shutdown. An
/// abandoned handler is handed to <see cref="AbandonedRuns"/>, which frees its place when it really ends.
/// Shared by the inline tick and the queue-triggered RunOccurrence.
/// </summary>
internal sealed class RunCompletion(
    StateStore states,
    ConflictRetry retry,
    AbandonedRuns abandoned,
    Telemetry.SchedulerMetrics metrics,
    SchedulerOptions options,
    TimeProvider clock,
    ILogger<RunCompletion> logger)
{
    public async Task<LoadedState> RecordAsync(LoadedState current, ScheduleDefinition definition, DuePlanner planner, ClaimedRun claim, RunResult result)
    {
        Report(definition, claim, result.Outcome);
        var recorded = await CommitAsync(current, definition, planner, claim, result.Outcome, readFirst: false);
        WatchIfStillRunning(definition, planner, claim, result);
        return recorded;
    }

    /// <summary>
    /// <see cref="RecordAsync"/> in a transaction shared with other schedules of the shard (layout 3, a batch's runs):
    /// when this schedule's write fails there (another writer changed its state), it is read again and recorded alone.
    /// </summary>
    public async Task<LoadedState> RecordSharedAsync(ShardedLayout layout, LoadedState current, ScheduleDefinition definition, DuePlanner planner, ClaimedRun claim, RunResult result)
    {
        Report(definition, claim, result.Outcome);
        var state = Completion.Apply(current.State, definition.Policies, claim, result.Outcome, LeaseOf(definition));
        var shared = state is null
            ? default
            : await states.CommitCompletionSharedAsync(layout, current, state, planner.WakeAt(state), claim, result.Outcome, options.InstanceId, clock.GetUtcNow());
        var recorded = shared.Committed ?? await CommitAsync(current, definition, planner, claim, result.Outcome, readFirst: shared.Failure is not null);
        WatchIfStillRunning(definition, planner, claim, result);
        return recorded;
    }

    private void Report(ScheduleDefinition definition, ClaimedRun claim, RunOutcome outcome)
    {
        logger.LogInformation("Ran {ScheduleId} ({Job}) due {Due:O} attempt {Attempt}: {Status} in {DurationMs} ms{Error}",
            definition.Key.ToString(), definition.Job, claim.Due, claim.Attempt, outcome.Status, (long)(outcome.FinishedAt - outcome.StartedAt).TotalMilliseconds,
            outcome.ErrorMessage is { } error ? $" ({error})" : "");
        metrics.RunEnded(definition.Job, claim, outcome);
    }

    private TimeSpan LeaseOf(ScheduleDefinition definition) => definition.Policies.Timeout + options.LeaseMargin;

    private async Task<LoadedState> CommitAsync(LoadedState current, ScheduleDefinition definition, DuePlanner planner, ClaimedRun claim, RunOutcome outcome, bool readFirst)
    {
        var lease = LeaseOf(definition);
        var reread = readFirst;
        return await retry.ExecuteAsync(async _ =>
        {
            if (reread)
            {
                if (await states.GetAsync(current.Key, CancellationToken.None) is not { } fresh)
                {
                    // The state row is gone (removed by hand): the ledger still keeps the result.
                    return await states.CommitCompletionAsync(current, null, current.WakeAt, claim, outcome, options.InstanceId, clock.GetUtcNow(), CancellationToken.None);
                }

                current = fresh;
            }

            reread = true;
            var state = Completion.Apply(current.State, definition.Policies, claim, outcome, lease);
            var wakeAt = state is null ? current.WakeAt : planner.WakeAt(state);
            return await states.CommitCompletionAsync(current, state, wakeAt, claim, outcome, options.InstanceId, clock.GetUtcNow(), CancellationToken.None);
        }, CancellationToken.None);
    }

    private void WatchIfStillRunning(ScheduleDefinition definition, DuePlanner planner, ClaimedRun claim, RunResult result)
    {
        if (result.StillRunning is { } handler)
        {
            abandoned.Watch(definition.Key, planner, claim, handler, LeaseOf(definition));
        }
    }
}
