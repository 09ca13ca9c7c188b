using Microsoft.Extensions.Logging;
using Scheduler.Azure.Hosting;
using Scheduler.Azure.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Triggers;

namespace Scheduler.Azure.Dispatch;

/// <summary>
/// Runs an occurrence that the tick claimed and queued. A message whose claim is no longer held (a duplicate
/// delivery, or the lease expired and the occurrence was claimed again) runs nothing: the claim, not the message,
/// decides who runs an occurrence.
/// </summary>
public sealed class OccurrenceExecutor(
    StateStore states,
    DueIndex index,
    DefinitionResolver resolver,
    JobRunner runner,
    RunCompletion completion,
    SchedulerOptions options,
    TimeProvider clock,
    ILogger<OccurrenceExecutor> logger)
{
    public async Task<RunOutcome?> ExecuteAsync(OccurrenceMessage message, CancellationToken cancellationToken)
    {
        if (await LoadClaimAsync(message, cancellationToken) is not { } held)
        {
            return null;
        }

        var (current, definition, planner) = held;
        var outcome = await runner.RunAsync(definition, message.ToClaim(), cancellationToken);
        await FinishAsync(current, definition, planner, message, outcome);
        return outcome;
    }

    /// <summary>The message failed every delivery: record the occurrence Failed with the reason, and apply the retry policy.</summary>
    public async Task RecordPoisonAsync(OccurrenceMessage message, long dequeueCount)
    {
        var now = clock.GetUtcNow();
        var outcome = new RunOutcome(RunStatus.Failed, now, now, "PoisonMessage",
            $"the queue message for this occurrence failed {dequeueCount} deliveries and was moved to the poison queue; RunOccurrence could not run or record it (see the function logs)");
        if (await LoadClaimAsync(message, CancellationToken.None) is { } held)
        {
            await FinishAsync(held.Current, held.Definition, held.Planner, message, outcome);
        }
        else if (await states.GetAsync(message.Key, CancellationToken.None) is { } current)
        {
            await states.CommitCompletionAsync(current, null, current.WakeAt, message.ToClaim(), outcome, options.InstanceId, now, CancellationToken.None);
        }
    }

    private async Task FinishAsync(LoadedState current, Schedules.ScheduleDefinition definition, DuePlanner planner, OccurrenceMessage message, RunOutcome outcome)
    {
        var after = await completion.RecordAsync(current, definition, planner, message.ToClaim(), outcome);
        if (after.WakeAt != current.WakeAt)
        {
            await index.MoveAsync(current.WakeAt, after.WakeAt, message.Key, CancellationToken.None);
        }
    }

    private async Task<(LoadedState Current, Schedules.ScheduleDefinition Definition, DuePlanner Planner)?> LoadClaimAsync(OccurrenceMessage message, CancellationToken cancellationToken)
    {
        var current = await states.GetAsync(message.Key, cancellationToken);
        if (current is null || !current.State.InFlight.Any(r => r.Due == message.Due && r.Attempt == message.Attempt))
        {
            logger.LogInformation("Occurrence {ScheduleId} due {Due:O} attempt {Attempt} is no longer claimed (duplicate delivery or lease taken over); not running it",
                message.Key.ToString(), message.Due, message.Attempt);
            return null;
        }

        if (!resolver.TryResolve(message.Key, current.State, out var definition, out var errors))
        {
            logger.LogWarning("Occurrence {ScheduleId} due {Due:O}: its definition is invalid ({Errors}); the next tick records it", message.Key.ToString(), message.Due, string.Join("; ", errors));
            return null;
        }

        return (current, definition!, new DuePlanner(definition!, ScheduleTimeline.For(definition!), options.InstanceId, options.LeaseMargin));
    }
}
