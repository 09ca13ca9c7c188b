using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Scheduler.Azure.Hosting;
using Scheduler.Azure.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Azure.Dispatch;

/// <summary>
/// One tick: reconcile edited definitions, read the due index, and for each due schedule plan, claim (conditional on
/// the state's ETag: a 412 means another instance has it), run with bounded parallelism, and record the outcome.
/// Every host (timer function, standalone loop, tests, benchmarks) calls this same method.
/// </summary>
public sealed class Dispatcher(
    Reconciler reconciler,
    DueIndex index,
    StateStore states,
    DefinitionResolver resolver,
    JobRunner runner,
    RunCompletion completion,
    OccurrenceQueue queue,
    SchedulerOptions options,
    StorageRequestCounter requests,
    TimeProvider clock,
    ILogger<Dispatcher> logger)
{
    private readonly ConcurrentDictionary<string, int> _completionsSincePrune = new(StringComparer.Ordinal);

    /// <summary>
    /// Schedules a tick of this process has taken and not yet started running, by tick. An overlapping tick reads the
    /// same due entries until they are moved; it leaves these to the tick that has them instead of reading their state
    /// again to find them taken. Released when the runs start: an occurrence due while they run is the next tick's
    /// (its overlap policy decides), as with another instance.
    /// </summary>
    private readonly ConcurrentDictionary<string, long> _inFlight = new(StringComparer.Ordinal);
    private long _ticks;

    public string InstanceId => options.InstanceId;

    public Task<TickReport> TickAsync(CancellationToken cancellationToken = default) => TickAsync(reconcile: true, cancellationToken);

    /// <param name="reconcile">False for the extra ticks of a precise-firing invocation: its first tick already read the edits.</param>
    public async Task<TickReport> TickAsync(bool reconcile, CancellationToken cancellationToken = default)
    {
        var started = clock.GetUtcNow();
        var requestsBefore = requests.Total;
        var counters = new TickCounters();
        if (reconcile)
        {
            counters.Edits(await reconciler.ReconcileIfDueAsync(cancellationToken));
            foreach (var error in reconciler.LastErrors)
            {
                counters.Error(error);
            }
        }

        var due = await index.QueryDueAsync(started, options.MaxDuePerTick, cancellationToken);
        var tick = Interlocked.Increment(ref _ticks);
        var bySchedule = due.GroupBy(e => e.Key).Select(g => g.OrderBy(e => e.WakeAt).ToList())
            .Where(entries => _inFlight.TryAdd(entries[0].Key.Value, tick)).ToArray();
        Random.Shared.Shuffle(bySchedule); // instances walk the due set in different orders, so they contend less

        try
        {
            await Parallel.ForEachAsync(bySchedule, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism }, async (entries, _) =>
            {
                var release = () => _inFlight.TryRemove(KeyValuePair.Create(entries[0].Key.Value, tick));
                try
                {
                    await ProcessAsync(entries, started, counters, release, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    counters.Error($"{entries[0].Key}: {ex.GetType().Name}: {ex.Message}");
                    logger.LogError(ex, "Dispatching {ScheduleId} failed; the occurrence stays due and is retried next tick", entries[0].Key.ToString());
                }
                finally
                {
                    release();
                }
            });
        }
        finally
        {
            // Those cancelled before their turn, too.
            foreach (var entries in bySchedule)
            {
                _inFlight.TryRemove(KeyValuePair.Create(entries[0].Key.Value, tick));
            }
        }

        var report = counters.ToReport(started, due.Count, requests.Total - requestsBefore, clock.GetUtcNow() - started);
        logger.LogInformation(
            "Tick: {Due} due, {Claimed} claimed, {Ran} ran, {Failed} failed, {Skipped} skipped, {Missed} missed, {Conflicts} conflicts, {Edits} edits, {Requests} storage requests, {DurationMs} ms",
            report.DueEntries, report.Claimed, report.Ran, report.Failed, report.Skipped, report.Missed, report.Conflicts, report.Edits, report.StorageRequests, (long)report.Duration.TotalMilliseconds);
        return report;
    }

    private async Task ProcessAsync(List<DueEntry> entries, DateTimeOffset tickStart, TickCounters counters, Func<bool> startingRuns, CancellationToken cancellationToken)
    {
        var key = entries[0].Key;
        var current = await states.GetAsync(key, cancellationToken);
        if (current is null)
        {
            await MoveIndexAsync(entries, null, key);
            return;
        }

        if (!resolver.TryResolve(key, current.State, out var definition, out var errors))
        {
            current = await HoldUnresolvableAsync(current, errors, counters, cancellationToken);
            if (current is not null)
            {
                await MoveIndexAsync(entries, current.WakeAt, key);
            }

            return;
        }

        var planner = new DuePlanner(definition!, ScheduleTimeline.For(definition!), options.InstanceId, options.LeaseMargin);
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            Plan plan;
            try
            {
                plan = planner.Plan(current.State, now, tickStart);
            }
            catch (NonAdvancingTriggerException ex)
            {
                if (await HoldUnresolvableAsync(current, [ex.Message], counters, cancellationToken) is { } held)
                {
                    await MoveIndexAsync(entries, held.WakeAt, key);
                }

                return;
            }

            if (!plan.ChangesSomething(current.State))
            {
                break;
            }

            try
            {
                current = await states.CommitPlanAsync(current, plan, planner.WakeAt(plan.State), options.InstanceId, now, cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 412)
            {
                counters.Conflict(); // another instance claimed it first; it moves the index entry
                return;
            }

            counters.Claimed(plan.Claims.Count);
            counters.Skipped(plan.Notes.Where(n => n.Status == RunStatus.Skipped).Sum(n => n.Count));
            counters.Missed(plan.Notes.Where(n => n.Status == RunStatus.Missed).Sum(n => n.Count));
            if (plan.Claims.Count == 0)
            {
                continue;
            }

            if (options.Dispatch == DispatchMode.Queue)
            {
                // Scale-out: RunOccurrence runs them on whichever instance takes the message. A lost message is
                // covered by the lease: the occurrence is claimed again when it expires.
                await queue.EnqueueAsync(key, plan.Claims, cancellationToken);
                break;
            }

            startingRuns();
            var outcomes = await Task.WhenAll(plan.Claims.Select(claim => runner.RunAsync(definition!, claim, cancellationToken)));
            for (var i = 0; i < outcomes.Length; i++)
            {
                current = await CompleteAsync(current, definition!, planner, plan.Claims[i], outcomes[i], counters);
            }

            await PruneIfDueAsync(key, outcomes.Length);
        }

        await MoveIndexAsync(entries, planner.WakeAt(current.State), key);
    }

    private async Task<LoadedState> CompleteAsync(LoadedState current, ScheduleDefinition definition, DuePlanner planner, ClaimedRun claim, RunOutcome outcome, TickCounters counters)
    {
        switch (outcome.Status)
        {
            case RunStatus.Succeeded:
                counters.Succeeded();
                break;
            case RunStatus.Skipped:
                counters.Skipped(1);
                break;
            default:
                counters.Failed();
                break;
        }

        return await completion.RecordAsync(current, definition, planner, claim, outcome);
    }

    /// <summary>A state whose stored definition no longer validates here (say, its job was unregistered by a deploy): mark it invalid, record lost leases, start nothing.</summary>
    private async Task<LoadedState?> HoldUnresolvableAsync(LoadedState current, IReadOnlyList<string> errors, TickCounters counters, CancellationToken cancellationToken)
    {
        var state = current.State.Status is ScheduleStatus.Active or ScheduleStatus.Finished or ScheduleStatus.Paused
            ? DefinitionChange.ApplyInvalid(current.State, errors, current.State.DefinitionETag ?? "", current.State.Definition ?? "{}")
            : current.State;
        var plan = DuePlanner.ExpireLeasesOnly(state, clock.GetUtcNow());
        if (!plan.ChangesSomething(current.State))
        {
            return current with { WakeAt = DuePlanner.LeaseWakeAt(current.State) };
        }

        try
        {
            return await states.CommitPlanAsync(current, plan, DuePlanner.LeaseWakeAt(plan.State), options.InstanceId, clock.GetUtcNow(), cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 412)
        {
            counters.Conflict();
            return null;
        }
    }

    private async Task MoveIndexAsync(List<DueEntry> entries, DateTimeOffset? wakeAt, ScheduleKey key)
    {
        await index.MoveAsync(entries[0].WakeAt, wakeAt, key, CancellationToken.None);
        foreach (var stale in entries.Skip(1).Where(e => e.WakeAt != wakeAt))
        {
            await index.MoveAsync(stale.WakeAt, null, key, CancellationToken.None);
        }
    }

    private async Task PruneIfDueAsync(ScheduleKey key, int completions)
    {
        var every = Math.Max(10, options.LedgerRetention / 4);
        if (_completionsSincePrune.AddOrUpdate(key.Value, completions, (_, n) => n + completions) < every)
        {
            return;
        }

        _completionsSincePrune[key.Value] = 0;
        await states.PruneAsync(key, StateKeys.RunPrefix, options.LedgerRetention, CancellationToken.None);
        await states.PruneAsync(key, StateKeys.EditPrefix, options.EditRetention, CancellationToken.None);
    }
}
