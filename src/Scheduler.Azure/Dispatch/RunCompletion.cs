using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Scheduler.Azure.Hosting;
using Scheduler.Azure.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Azure.Dispatch;

/// <summary>
/// Records a finished run: its ledger row and the state it leaves (retry, release, next wake), re-read and re-applied
/// when another instance changed the state meanwhile. Never cancelled: a result must not be lost to shutdown.
/// Shared by the inline tick and the queue-triggered RunOccurrence.
/// </summary>
public sealed class RunCompletion(StateStore states, SchedulerOptions options, TimeProvider clock, ILogger<RunCompletion> logger)
{
    public async Task<LoadedState> RecordAsync(LoadedState current, ScheduleDefinition definition, DuePlanner planner, ClaimedRun claim, RunOutcome outcome)
    {
        logger.LogInformation("Ran {ScheduleId} ({Job}) due {Due:O} attempt {Attempt}: {Status} in {DurationMs} ms{Error}",
            definition.Key.ToString(), definition.Job, claim.Due, claim.Attempt, outcome.Status, (long)(outcome.FinishedAt - outcome.StartedAt).TotalMilliseconds,
            outcome.ErrorMessage is { } error ? $" ({error})" : "");
        while (true)
        {
            var state = Completion.Apply(current.State, definition.Policies, claim, outcome);
            try
            {
                return await states.CommitCompletionAsync(current, state, state is null ? current.WakeAt : planner.WakeAt(state), claim, outcome, options.InstanceId, clock.GetUtcNow(), CancellationToken.None);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 412)
            {
                current = await states.GetAsync(current.Key, CancellationToken.None)
                    ?? throw new InvalidOperationException($"the state row of {current.Key} disappeared while a run was recorded");
            }
        }
    }
}
