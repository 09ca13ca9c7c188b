using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>
/// Runs an occurrence that the tick claimed and queued. Starting it is one conditional write that turns the queued
/// claim into a started run: a duplicate or replayed message finds it started (or no longer claimed) and runs
/// nothing, whatever its timing. The claim, not the message, decides who runs an occurrence.
/// </summary>
internal sealed class OccurrenceExecutor(
    StateStore states,
    DueIndex index,
    DefinitionResolver resolver,
    JobRunner runner,
    RunCompletion completion,
    ScheduleDispatch schedules,
    ConflictRetry retry,
    TimeProvider clock,
    ILogger<OccurrenceExecutor> logger)
{
    private sealed record Started(LoadedState Current, ScheduleDefinition Definition, DuePlanner Planner);

    public async Task<RunOutcome?> ExecuteAsync(OccurrenceMessage message, CancellationToken cancellationToken)
    {
        if (await StartAsync(message, cancellationToken) is not { } started)
        {
            return null;
        }

        var parent = message.TraceParent is { } traceParent && System.Diagnostics.ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
        var result = await runner.RunAsync(started.Definition, message.ToClaim(), cancellationToken, parent);
        await FinishAsync(started.Current, started.Definition, started.Planner, message, result);
        return result.Outcome;
    }

    /// <summary>
    /// A message from the poison queue, as text: recorded if it names a real claim, otherwise logged once (shortened).
    /// Never throws: a poison message has nowhere further to go.
    /// </summary>
    public async Task RecordPoisonAsync(string text, long dequeueCount)
    {
        try
        {
            await RecordPoisonAsync(OccurrenceMessage.Parse(text), dequeueCount);
        }
        catch (FormatException ex)
        {
            logger.LogError("A poison message is not an occurrence ({Error}); it names no schedule, so it is only logged: {Message}", ex.Message, OccurrenceMessage.Shown(text));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Recording a poison message failed; its occurrence's lease settles it. Message: {Message}", OccurrenceMessage.Shown(text));
        }
    }

    /// <summary>
    /// The message failed every delivery: if it names an occurrence that is really claimed, that run ends Failed with
    /// the reason and the retry policy applies. A message naming no claim (forged, or settled already) changes nothing.
    /// </summary>
    public async Task RecordPoisonAsync(OccurrenceMessage message, long dequeueCount)
    {
        var now = clock.GetUtcNow();
        var outcome = new RunOutcome(RunStatus.Failed, now, now, "PoisonMessage",
            $"the queue message for this occurrence failed {dequeueCount} deliveries and was moved to the poison queue; RunOccurrence could not run or record it (see the function logs)");
        var current = await states.GetAsync(message.Key, CancellationToken.None);
        if (current?.State.InFlight.Any(r => r.Is(message.Due, message.Attempt) && !r.Abandoned) != true)
        {
            logger.LogWarning("A poison message names {ScheduleId} due {Due:O} attempt {Attempt}, which is not claimed (settled already, or never claimed); nothing recorded",
                message.Key.ToString(), message.Due, message.Attempt);
            return;
        }

        if (!resolver.TryResolve(message.Key, current.State, out var definition, out var errors))
        {
            logger.LogWarning("A poison message names {ScheduleId} due {Due:O}, whose definition is invalid ({Errors}); its lease settles it", message.Key.ToString(), message.Due, string.Join("; ", errors));
            return;
        }

        await FinishAsync(current, definition!, resolver.PlannerFor(definition!), message, new RunResult(outcome));
    }

    private async Task FinishAsync(LoadedState current, ScheduleDefinition definition, DuePlanner planner, OccurrenceMessage message, RunResult result)
    {
        var after = await completion.RecordAsync(current, definition, planner, message.ToClaim(), result);
        if (after.WakeAt != current.WakeAt)
        {
            await index.MoveAsync(current.WakeAt, after.WakeAt, message.Key, CancellationToken.None);
        }

        // More already due (a backlog waiting behind this run, a retry): claim and queue it now, as a tick would, instead
        // of one occurrence per trip through the tick loop.
        var now = clock.GetUtcNow();
        if (after.WakeAt is { } wake && wake <= now)
        {
            await schedules.ProcessAsync([new DueEntry(wake, message.Key, DueIndex.RowKey(wake, message.Key))], now, new TickCounters(), () => { }, () => true, CancellationToken.None);
        }
    }

    private async Task<Started?> StartAsync(OccurrenceMessage message, CancellationToken cancellationToken) =>
        await retry.ExecuteAsync(async ct =>
        {
            var current = await states.GetAsync(message.Key, ct);
            var now = clock.GetUtcNow();
            if (current is null || !current.State.InFlight.Any(r => r.Is(message.Due, message.Attempt) && r.Queued))
            {
                logger.LogInformation("Occurrence {ScheduleId} due {Due:O} attempt {Attempt} is not waiting to start (a duplicate or late delivery, or its lease was taken over); not running it",
                    message.Key.ToString(), message.Due, message.Attempt);
                return null;
            }

            if (!resolver.TryResolve(message.Key, current.State, out var definition, out var errors))
            {
                logger.LogWarning("Occurrence {ScheduleId} due {Due:O}: its definition is invalid ({Errors}); its lease settles it", message.Key.ToString(), message.Due, string.Join("; ", errors));
                return null;
            }

            var planner = resolver.PlannerFor(definition!);
            var leaseUntil = planner.LeaseFrom(now);
            var state = Completion.StartQueued(current.State, message.Due, message.Attempt, now, leaseUntil)!;
            var wakeAt = planner.WakeAt(state);
            var started = LedgerRows.Started(message.Due, message.Attempt, now, leaseUntil);
            var startedState = await states.ReplaceAsync(current, state, wakeAt, now, CancellationToken.None, started); // as a claim: never abandoned once sent
            if (wakeAt != current.WakeAt)
            {
                // Started, an occurrence that falls due during the run is the overlap policy's: wake for it on time.
                await index.MoveAsync(current.WakeAt, wakeAt, message.Key, ct);
            }

            return new Started(startedState, definition!, planner);
        }, cancellationToken);
}
