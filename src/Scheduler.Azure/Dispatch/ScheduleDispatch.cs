using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Dispatch;

/// <summary>
/// One due schedule within a tick: read its state, plan, claim (conditional on the state's ETag: a 412 means another
/// instance has it), move its index entry, run the claims inline or queue them, record each outcome, and plan again
/// while work is due. Storage work happens in one of the process's <see cref="DispatchLanes"/>; running jobs hold none.
/// </summary>
internal sealed class ScheduleDispatch(
    DueIndex index,
    StateStore states,
    DefinitionResolver resolver,
    Reconciler reconciler,
    StateRepair repair,
    JobRunner runner,
    RunCompletion completion,
    OccurrenceQueue queue,
    DispatchLanes lanes,
    Telemetry.SchedulerMetrics metrics,
    SchedulerOptions options,
    TimeProvider clock,
    ILogger<ScheduleDispatch> logger)
{
    // By the key's hash, not the key: a count for every schedule that has run is held for the process's life (100,000
    // strings at 100,000 schedules). Two schedules sharing a hash share a count and are pruned a little sooner.
    private readonly ConcurrentDictionary<int, int> _completionsSincePrune = new();

    /// <param name="entries">The schedule's due index entries, earliest first.</param>
    /// <param name="startingRuns">Called as runs start: the tick stops holding the schedule from its other ticks.</param>
    /// <param name="stillMine">
    /// Asked when the schedule's turn comes: false when its shard has gone to another instance since the tick read the
    /// index (a scale-out during a backlog). The schedule is then left to that instance untouched, instead of both
    /// reading its state and racing for the claim.
    /// </param>
    public async Task ProcessAsync(List<DueEntry> entries, DateTimeOffset tickStart, TickCounters counters, Action startingRuns, Func<bool> stillMine, CancellationToken cancellationToken)
    {
        var key = entries[0].Key;
        var lane = await lanes.EnterAsync(cancellationToken);
        try
        {
            if (!stillMine())
            {
                counters.HandedOver();
                return;
            }

            var current = await states.GetAsync(key, cancellationToken);
            if (current is { Faults.Count: > 0 })
            {
                counters.Quarantined();
                current = await repair.RepairAsync(key, cancellationToken);
            }
            else if (current is null && await repair.RecreateAsync(key, cancellationToken))
            {
                counters.Quarantined();
                current = await states.GetAsync(key, cancellationToken);
            }

            if (current is not null
                && (reconciler.HasUnappliedEdit(key, current.State) || reconciler.MayHaveMissedEdits(tickStart - Reconciler.EditFreshness))
                && await reconciler.ApplyIfEditedAsync(key, current.State, cancellationToken))
            {
                // Seen by the last scan but not applied yet (its pass lost a race with this schedule's runs), or no scan
                // has read the table since shortly before this tick (a pass under way on a loaded host): the entry is
                // read and an edit applied first, so this claim honours every edit committed before its due time.
                current = await states.GetAsync(key, cancellationToken);
            }

            if (current is null)
            {
                await MoveIndexAsync(entries, entries[0].WakeAt, null, key);
                return;
            }

            if (!resolver.TryResolve(key, current.State, out var definition, out var errors))
            {
                if (await HoldUnresolvableAsync(current, errors, counters, cancellationToken) is { } held)
                {
                    await MoveIndexAsync(entries, entries[0].WakeAt, held.WakeAt, key);
                }

                return;
            }

            var planner = resolver.PlannerFor(definition!);
            var indexed = entries[0].WakeAt;
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = clock.GetUtcNow();
                var budget = options.Dispatch == DispatchMode.Queue ? int.MaxValue : lanes.RunBudget;
                if (budget == 0)
                {
                    break; // this process runs all it may: the entry stays due for a later tick
                }

                Plan plan;
                try
                {
                    plan = planner.Plan(current.State, now, tickStart, budget);
                }
                catch (NonAdvancingTriggerException ex)
                {
                    if (await HoldUnresolvableAsync(current, [ex.Message], counters, cancellationToken) is { } held)
                    {
                        await MoveIndexAsync(entries, indexed, held.WakeAt, key);
                    }

                    return;
                }

                if (!plan.ChangesSomething(current.State))
                {
                    break;
                }

                // The claim's span: inline runs nest under it, and Queue mode carries it in the message to RunOccurrence.
                using var claimSpan = plan.Claims.Count > 0 ? Telemetry.SchedulerTelemetry.Source.StartActivity("scheduler.claim") : null;
                claimSpan?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Schedule, key.Value);
                claimSpan?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Job, definition!.Job);
                claimSpan?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Claims, plan.Claims.Count);
                try
                {
                    // Not cancellable once sent: a shutdown that abandoned the request could leave claims committed and
                    // never run or recorded, held until their leases end (a real-host failover test caught it). Committed,
                    // the runs start with the cancelled token, are recorded interrupted and released at once.
                    current = await states.CommitPlanAsync(current, plan, planner.WakeAt(plan.State), options.InstanceId, now, CancellationToken.None);
                }
                catch (TableTransactionFailedException ex) when (ex.Status == 412)
                {
                    counters.Conflict(); // another instance changed the state first
                    metrics.Conflict();
                    claimSpan?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "another instance changed the state first");
                    await KeepIndexedAsync(key);
                    return;
                }

                metrics.Committed(definition!.Job, plan);

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
                    await queue.EnqueueAsync(key, plan.Claims, CancellationToken.None); // committed claims are always handed on
                    break;
                }

                // Move the entry before the runs while it is due: left there, every other tick of this process would
                // read this state again while the runs last. In the steady state this is the move the end makes anyway.
                if (current.WakeAt is { } wake && wake != indexed && indexed <= now)
                {
                    await index.MoveAsync(indexed, wake, key, CancellationToken.None);
                    indexed = wake;
                }

                lanes.RunsStarted(plan.Claims.Count);
                startingRuns();
                lane.Dispose();
                current = await RunAndRecordAsync(current, definition!, plan.Claims, async (state, claim, result) =>
                {
                    using var _ = await lanes.EnterAsync(CancellationToken.None);
                    return await completion.RecordAsync(state, definition!, planner, claim, result);
                }, default, counters, cancellationToken);
                lane = await lanes.EnterAsync(CancellationToken.None);
                await PruneIfDueAsync(key, plan.Claims.Count);
            }

            await MoveIndexAsync(entries, indexed, planner.WakeAt(current.State), key);
        }
        finally
        {
            lane.Dispose();
        }
    }

    /// <summary>
    /// Runs the claims concurrently and records each outcome as soon as its run finishes, with <paramref name="record"/>
    /// (one at a time, as they share the state row). A record that fails is reported and left to the run's lease; the
    /// others are still recorded. Returns the state as the last record left it.
    /// </summary>
    /// <param name="parent">The runs' span parent (default: the current activity).</param>
    public async Task<LoadedState> RunAndRecordAsync(
        LoadedState current, ScheduleDefinition definition, IReadOnlyList<ClaimedRun> claims, Func<LoadedState, ClaimedRun, RunResult, Task<LoadedState>> record,
        System.Diagnostics.ActivityContext parent, TickCounters counters, CancellationToken cancellationToken)
    {
        using var recording = new SemaphoreSlim(1, 1);
        await Task.WhenAll(claims.Select(async claim =>
        {
            RunResult result;
            try
            {
                result = await runner.RunAsync(definition, claim, cancellationToken, parent);
            }
            finally
            {
                lanes.RunEnded();
            }

            counters.Finished(result.Outcome.Status);
            await recording.WaitAsync(CancellationToken.None);
            try
            {
                current = await record(current, claim, result);
            }
            catch (Exception ex)
            {
                counters.Error($"{definition.Key}: recording the run due {claim.Due:O} failed: {ex.GetType().Name}: {ex.Message}");
                logger.LogError(ex, "Recording {ScheduleId} due {Due:O} attempt {Attempt} failed; its lease settles it", definition.Key.ToString(), claim.Due, claim.Attempt);
            }
            finally
            {
                recording.Release();
            }
        }));
        return current;
    }

    /// <summary>A state whose stored definition no longer validates here (say, its job was unregistered by a deploy): mark it invalid, record lost leases, start nothing.</summary>
    private async Task<LoadedState?> HoldUnresolvableAsync(LoadedState current, IReadOnlyList<string> errors, TickCounters counters, CancellationToken cancellationToken)
    {
        metrics.Validity(current.Key.Value, valid: false);
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
            return await states.CommitPlanAsync(current, plan, DuePlanner.LeaseWakeAt(plan.State), options.InstanceId, clock.GetUtcNow(), CancellationToken.None);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 412)
        {
            counters.Conflict();
            metrics.Conflict();
            await KeepIndexedAsync(current.Key);
            return null;
        }
    }

    /// <summary>
    /// After losing a state write to another instance. The winner moves the index entry it holds, which need not be
    /// this one, and a third instance that read an older state may meanwhile have removed this one as stale (the soak
    /// found a schedule left with no entry at all: four hosts, a retry and the next occurrence a second apart). So the
    /// entry the state's wake time needs is written again: an extra entry costs one read, a missing one stops the schedule.
    /// </summary>
    public async Task KeepIndexedAsync(ScheduleKey key)
    {
        if (await states.GetAsync(key, CancellationToken.None) is { WakeAt: { } wake })
        {
            await index.UpsertAsync(wake, key, CancellationToken.None);
        }
    }

    /// <summary>Moves the entry this tick holds (at <paramref name="indexed"/>) to <paramref name="wakeAt"/> and drops the schedule's stale entries.</summary>
    public async Task MoveIndexAsync(List<DueEntry> entries, DateTimeOffset indexed, DateTimeOffset? wakeAt, ScheduleKey key)
    {
        await index.MoveAsync(indexed, wakeAt, key, CancellationToken.None);
        foreach (var stale in entries.Skip(1).Where(e => e.WakeAt != wakeAt && e.WakeAt != indexed))
        {
            await index.MoveAsync(stale.WakeAt, null, key, CancellationToken.None);
        }

        if (wakeAt is null)
        {
            // The entry went with nothing in its place, judged on a state read before the delete. An edit applied in
            // between (a re-add writes its entry, then its state) would be left with no entry: the soak lost a re-added
            // schedule so. A delete cannot be conditional on a row of another table, so the state is read again after it.
            await KeepIndexedAsync(key);
        }
    }

    /// <summary>Every quarter of the retention's completions of a schedule, its oldest ledger and edit rows beyond the retention are deleted.</summary>
    public async Task PruneIfDueAsync(ScheduleKey key, int completions)
    {
        var every = Math.Max(10, options.LedgerRetention / 4);
        var slot = StringComparer.Ordinal.GetHashCode(key.Value);
        if (_completionsSincePrune.AddOrUpdate(slot, completions, (_, n) => n + completions) < every)
        {
            return;
        }

        _completionsSincePrune[slot] = 0;
        await states.PruneAsync(key, HistoryRows.Runs, options.LedgerRetention, CancellationToken.None);
        await states.PruneAsync(key, HistoryRows.Edits, options.EditRetention, CancellationToken.None);
    }
}
