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

    /// <summary>What starting a queued claim writes: the state with the claim started (If-Match the state read) and its ledger row's start.</summary>
    private sealed record PreparedStart(LoadedState Current, ScheduleDefinition Definition, DuePlanner Planner, ScheduleState State, DateTimeOffset? WakeAt, RunRowMerge Ledger);

    /// <summary>
    /// A message's occurrences: one, or a shard's batch (<see cref="OccurrenceMessage.ParseAll"/>). On layout 3 a batch
    /// starts together: the states read by one query, each start its own conditional write in a transaction they share;
    /// then the runs go at once and their ends are recorded together. An occurrence the batch cannot start (its state
    /// changed since the read; a schedule with several occurrences in the message) starts alone, as its own message
    /// would; a duplicate delivery finds every occurrence started and runs none. Returns each outcome (null: not run).
    /// </summary>
    public async Task<IReadOnlyList<RunOutcome?>> ExecuteAllAsync(IReadOnlyList<OccurrenceMessage> messages, CancellationToken cancellationToken)
    {
        var shared = messages.Count > 1 ? await states.SharedPartitionsAsync(cancellationToken) : null;
        if (shared is null)
        {
            return await Task.WhenAll(messages.Select(m => ExecuteAsync(m, cancellationToken)));
        }

        var outcomes = new RunOutcome?[messages.Count];
        var bySchedule = messages.Select((message, i) => (Message: message, Index: i)).GroupBy(m => m.Message.Schedule).ToList();
        var alone = bySchedule.Where(g => g.Count() > 1).SelectMany(g => g).ToList();
        var together = bySchedule.Where(g => g.Count() == 1).Select(g => g.First()).ToList();
        var loaded = await states.ReadManyAsync(shared, [.. together.Select(m => m.Message.Key)], cancellationToken);
        var now = clock.GetUtcNow();
        var prepared = together.Select(m => (m.Message, m.Index, Start: Prepare(m.Message, loaded.GetValueOrDefault(m.Message.Key), now))).Where(p => p.Start is not null).ToList();
        var commits = await Task.WhenAll(prepared.Select(p => states.ReplaceSharedAsync(shared, p.Start!.Current, p.Start.State, p.Start.WakeAt, now, p.Start.Ledger)));
        var started = new List<(OccurrenceMessage Message, int Index, Started Started, DateTimeOffset? WasWake)>();
        foreach (var (p, (committed, _)) in prepared.Zip(commits))
        {
            if (committed is null)
            {
                alone.Add((p.Message, p.Index)); // its state changed since the read: read again and started alone
                continue;
            }

            started.Add((p.Message, p.Index, new Started(committed, p.Start!.Definition, p.Start.Planner), p.Start.Current.WakeAt));
        }

        // Started, an occurrence that falls due during the run is the overlap policy's: wake for it on time.
        await Task.WhenAll(started.Select(s => MoveIndexAsync(s.Message.Key, s.WasWake, s.Started.Current.WakeAt, shared)));
        await Task.WhenAll(started.Select(async s => outcomes[s.Index] = await RunAndFinishAsync(s.Message, s.Started, shared, cancellationToken))
            .Concat(alone.GroupBy(a => a.Message.Schedule).Select(async g =>
            {
                foreach (var (message, index) in g)
                {
                    outcomes[index] = await ExecuteAsync(message, cancellationToken);
                }
            })));
        return outcomes;
    }

    public async Task<RunOutcome?> ExecuteAsync(OccurrenceMessage message, CancellationToken cancellationToken)
    {
        if (await StartAsync(message, cancellationToken) is not { } started)
        {
            return null;
        }

        return await RunAndFinishAsync(message, started, null, cancellationToken);
    }

    private async Task<RunOutcome> RunAndFinishAsync(OccurrenceMessage message, Started started, ShardedLayout? shared, CancellationToken cancellationToken)
    {
        var parent = message.TraceParent is { } traceParent && System.Diagnostics.ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
        var result = await runner.RunAsync(started.Definition, message.ToClaim(), cancellationToken, parent);
        await FinishAsync(started.Current, started.Definition, started.Planner, message, result, shared);
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
            foreach (var occurrence in OccurrenceMessage.ParseAll(text))
            {
                await RecordPoisonAsync(occurrence, dequeueCount);
            }
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

    /// <param name="shared">Layout 3 and a batch: the end is recorded, and the entry moved, in transactions shared with the batch's other ends.</param>
    private async Task FinishAsync(LoadedState current, ScheduleDefinition definition, DuePlanner planner, OccurrenceMessage message, RunResult result, ShardedLayout? shared = null)
    {
        var after = shared is null
            ? await completion.RecordAsync(current, definition, planner, message.ToClaim(), result)
            : await completion.RecordSharedAsync(shared, current, definition, planner, message.ToClaim(), result);
        await MoveIndexAsync(message.Key, current.WakeAt, after.WakeAt, shared);

        // More already due (a backlog waiting behind this run, a retry): claim and queue it now, as a tick would, instead
        // of one occurrence per trip through the tick loop.
        var now = clock.GetUtcNow();
        if (after.WakeAt is { } wake && wake <= now)
        {
            await schedules.ProcessAsync([new DueEntry(wake, message.Key, DueIndex.RowKey(wake, message.Key))], now, new TickCounters(), () => { }, () => true, CancellationToken.None);
        }
    }

    /// <summary>Moves the schedule's entry: with a batch's other moves on layout 3, else alone.</summary>
    private Task MoveIndexAsync(ScheduleKey key, DateTimeOffset? from, DateTimeOffset? to, ShardedLayout? shared) =>
        shared is null ? index.MoveAsync(from, to, key, CancellationToken.None) : index.MoveSharedAsync(from, to, key, CancellationToken.None);

    private async Task<Started?> StartAsync(OccurrenceMessage message, CancellationToken cancellationToken) =>
        await retry.ExecuteAsync(async ct =>
        {
            var now = clock.GetUtcNow();
            if (Prepare(message, await states.GetAsync(message.Key, ct), now) is not { } start)
            {
                return null;
            }

            var startedState = await states.ReplaceAsync(start.Current, start.State, start.WakeAt, now, CancellationToken.None, start.Ledger); // as a claim: never abandoned once sent
            if (start.WakeAt != start.Current.WakeAt)
            {
                // Started, an occurrence that falls due during the run is the overlap policy's: wake for it on time.
                await index.MoveAsync(start.Current.WakeAt, start.WakeAt, message.Key, ct);
            }

            return new Started(startedState, start.Definition, start.Planner);
        }, cancellationToken);

    /// <summary>The start of a queued claim, or null (logged) when the state holds no such claim waiting or its definition no longer validates.</summary>
    private PreparedStart? Prepare(OccurrenceMessage message, LoadedState? current, DateTimeOffset now)
    {
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
        return new PreparedStart(current, definition!, planner, state, planner.WakeAt(state), LedgerRows.Started(message.Due, message.Attempt, now, leaseUntil));
    }
}
