using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Storage;
using Scheduler.Telemetry;
using Scheduler.Triggers;

namespace Scheduler.Dispatch;

/// <summary>
/// A tick's due schedules of one shard on layout 3, dispatched together: their states read by a query per few rounds of
/// runs (<see cref="ReadPerQuery"/>), and their claims, index moves and runs' ends committed in transactions the
/// shard's schedules share (<see cref="TransactionCoalescer"/>), so an occurrence costs a fraction of a request. Each
/// claim is what it is on the one-schedule path: conditional on its state's ETag, committed with its ledger row before
/// its run starts. Whatever a batch does not handle (a state the query did not return, a damaged or unresolvable one,
/// an edit to apply first, a claim that lost to another writer, work due again at once) goes to that path,
/// <see cref="ScheduleDispatch"/>, which reads the state again and knows every case.
/// </summary>
internal sealed class ShardBatch(
    StateStore states,
    DueIndex index,
    DefinitionResolver resolver,
    Reconciler reconciler,
    ScheduleDispatch schedules,
    RunCompletion completion,
    OccurrenceQueue queue,
    DispatchLanes lanes,
    SchedulerMetrics metrics,
    SchedulerOptions options,
    TimeProvider clock,
    ILogger<ShardBatch> logger)
{
    /// <summary>Schedules planned before their claims are sent: a few transactions' worth, so runs start while the rest are planned.</summary>
    private const int PlannedPerRound = 250;

    private bool Queued => options.Dispatch == DispatchMode.Queue;

    /// <param name="due">The shard's due schedules this tick holds, each its entries earliest first.</param>
    /// <param name="startingRuns">Called as a schedule's runs start: the tick stops holding it from its other ticks.</param>
    /// <param name="stillMine">False when the shard has gone to another instance since the tick read the index.</param>
    /// <param name="oneByOne">The one-schedule path, for what a batch hands back.</param>
    public async Task ProcessAsync(
        ShardedLayout layout, IReadOnlyList<List<DueEntry>> due, DateTimeOffset tickStart, TickCounters counters,
        Action<ScheduleKey> startingRuns, Func<bool> stillMine, Func<List<DueEntry>, Task> oneByOne, CancellationToken cancellationToken)
    {
        if (!stillMine())
        {
            foreach (var _ in due)
            {
                counters.HandedOver();
            }

            return;
        }

        var unread = ReadOrder(layout, due);
        var work = new List<Task>();
        try
        {
            var waiting = new Queue<Candidate>();
            while (!cancellationToken.IsCancellationRequested)
            {
                if (waiting.Count < ReadPerQuery && unread.Count > 0)
                {
                    await ReadNextAsync(layout, unread.Dequeue(), tickStart, waiting, work, oneByOne, cancellationToken);
                    continue;
                }

                if (waiting.Count == 0)
                {
                    break;
                }

                var freed = lanes.NextRunEnd;
                var planned = PlanSome(waiting, tickStart, work, oneByOne);
                if (planned.Count == 0)
                {
                    // Every place is taken: wait until runs ending free a round's worth (the schedules stay held by
                    // this tick, so an overlapping tick does not read them again meanwhile); when stopping, the rest
                    // stay due. A round waits for several places, not one: claimed a place at a time as runs end, a
                    // backlog would commit a transaction a claim.
                    if (waiting.Count == 0 || !await WaitForPlacesAsync(Math.Min(waiting.Count, PlacesPerRound), freed, cancellationToken))
                    {
                        break;
                    }

                    continue;
                }

                if (!stillMine())
                {
                    planned.ForEach(p => Unreserve(p.Plan));
                    for (var i = planned.Count + waiting.Count + unread.Sum(c => c.Count); i > 0; i--)
                    {
                        counters.HandedOver();
                    }

                    break;
                }

                work.AddRange(await ClaimAsync(layout, planned, counters, startingRuns, oneByOne, cancellationToken));
            }
        }
        finally
        {
            await Task.WhenAll(work);
        }
    }

    /// <summary>
    /// States one query reads: two rounds of the run budget's places, not the shard's whole due set. A tick takes up to
    /// <see cref="SchedulerOptions.MaxDuePerTick"/> (5,000) entries; read at once, every one of their full rows stayed in
    /// memory for the whole tick while the runs went through the budget a round at a time.
    /// </summary>
    private int ReadPerQuery => Queued ? PlannedPerRound : Math.Clamp(PlacesPerRound * 2, 16, PlannedPerRound);

    /// <summary>
    /// The shard's due schedules in runs of <see cref="ReadPerQuery"/> adjacent state rows, so each query's key range
    /// covers its own schedules only; the runs in a random order, so instances helping with one shard contend less.
    /// </summary>
    private Queue<List<List<DueEntry>>> ReadOrder(ShardedLayout layout, IReadOnlyList<List<DueEntry>> due)
    {
        var chunks = due.OrderBy(e => layout.StateRow(e[0].Key), StringComparer.Ordinal).Chunk(ReadPerQuery).Select(c => c.ToList()).ToArray();
        Random.Shared.Shuffle(chunks);
        return new Queue<List<List<DueEntry>>>(chunks);
    }

    /// <summary>Reads a run of due schedules' states by one query: those a batch can plan wait for places, the rest go one by one.</summary>
    private async Task ReadNextAsync(
        ShardedLayout layout, List<List<DueEntry>> chunk, DateTimeOffset tickStart, Queue<Candidate> waiting, List<Task> work,
        Func<List<DueEntry>, Task> oneByOne, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<ScheduleKey, LoadedState> loaded;
        using (await lanes.EnterAsync(cancellationToken))
        {
            loaded = await states.ReadManyAsync(layout, [.. chunk.Select(e => e[0].Key)], cancellationToken, dueBy: tickStart);
        }

        foreach (var entries in chunk)
        {
            if (CandidateOf(entries, loaded, tickStart) is { } candidate)
            {
                waiting.Enqueue(candidate);
            }
            else
            {
                work.Add(oneByOne(entries));
            }
        }
    }

    /// <summary>How long a round waits for the next run to end while gathering places (real time: runs end in real time).</summary>
    private static readonly TimeSpan RoundGathering = TimeSpan.FromMilliseconds(10);

    /// <summary>A quarter of the run budget: the places a round of a backlog waits for before it plans.</summary>
    private int PlacesPerRound => Math.Max(1, options.MaxConcurrentRuns / 4);

    /// <summary>
    /// Waits for a run to end, then for <paramref name="places"/> places of the run budget to be free while runs keep
    /// ending within <see cref="RoundGathering"/> of each other (long runs holding the rest cannot stall a round);
    /// false when stopping.
    /// </summary>
    private async Task<bool> WaitForPlacesAsync(int places, Task freed, CancellationToken cancellationToken)
    {
        try
        {
            await freed.WaitAsync(cancellationToken);
            while (lanes.RunBudget < places)
            {
                freed = lanes.NextRunEnd;
                if (lanes.RunBudget >= places || await Task.WhenAny(freed, Task.Delay(RoundGathering, cancellationToken)) != freed)
                {
                    break;
                }
            }

            return !cancellationToken.IsCancellationRequested;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>A schedule a batch can plan as it was read; null hands it to the one-schedule path.</summary>
    private Candidate? CandidateOf(List<DueEntry> entries, IReadOnlyDictionary<ScheduleKey, LoadedState> loaded, DateTimeOffset tickStart)
    {
        var key = entries[0].Key;
        if (!loaded.TryGetValue(key, out var current) || current.Faults.Count > 0
            || reconciler.HasUnappliedEdit(key, current.State) || reconciler.MayHaveMissedEdits(tickStart - Reconciler.EditFreshness)
            || !resolver.TryResolve(key, current.State, out var definition, out _))
        {
            return null;
        }

        return new Candidate(entries, current, definition!, resolver.PlannerFor(definition!));
    }

    /// <summary>
    /// Plans waiting schedules while the run budget has places: each plan is made for the places free, and its claims'
    /// places are reserved at once (a batch plans many schedules before any of their runs starts). Those a plan leaves
    /// nothing to claim or record go one by one.
    /// </summary>
    private List<Planned> PlanSome(Queue<Candidate> waiting, DateTimeOffset tickStart, List<Task> work, Func<List<DueEntry>, Task> oneByOne)
    {
        var planned = new List<Planned>();
        var now = clock.GetUtcNow();
        while (waiting.Count > 0 && planned.Count < PlannedPerRound)
        {
            var candidate = waiting.Peek();
            var places = Queued ? int.MaxValue : lanes.RunBudget;
            if (places == 0)
            {
                break; // every place is taken: claim what is planned, then wait for a run to end
            }

            var plan = PlanWithin(candidate, now, tickStart, places);
            if (plan is { Claims.Count: > 0 } && !Queued && lanes.Reserve(plan.Claims.Count) is var granted && granted < plan.Claims.Count)
            {
                lanes.Unreserve(granted); // another tick took places since: planned again once one is free
                break;
            }

            waiting.Dequeue();
            if (plan is null || !plan.ChangesSomething(candidate.Current.State))
            {
                Unreserve(plan);
                work.Add(oneByOne(candidate.Entries));
                continue;
            }

            planned.Add(new Planned(candidate, plan));
        }

        return planned;
    }

    /// <summary>
    /// A plan claiming at most <paramref name="places"/> runs; null when no place is free or planning throws (a trigger
    /// that does not advance, which the one-schedule path holds with its message; anything else, which it reports for
    /// that schedule alone instead of failing the shard's batch).
    /// </summary>
    private static Plan? PlanWithin(Candidate candidate, DateTimeOffset now, DateTimeOffset tickStart, int places)
    {
        if (places <= 0)
        {
            return null;
        }

        try
        {
            return candidate.Planner.Plan(candidate.Current.State, now, tickStart, places);
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>Returns the places a plan's claims reserved when the claims will not run.</summary>
    private void Unreserve(Plan? plan)
    {
        if (!Queued && plan is not null)
        {
            lanes.Unreserve(plan.Claims.Count);
        }
    }

    /// <summary>Commits the plans together, moves their entries together, and starts their runs (or queues them); returns the runs' tasks.</summary>
    private async Task<List<Task>> ClaimAsync(
        ShardedLayout layout, List<Planned> planned, TickCounters counters, Action<ScheduleKey> startingRuns, Func<List<DueEntry>, Task> oneByOne, CancellationToken cancellationToken)
    {
        var work = new List<Task>();
        var now = clock.GetUtcNow();
        var spans = planned.Select(StartClaimSpan).ToList();

        // Not cancellable once sent (as on the one-schedule path): committed claims are always run or recorded.
        var commits = await states.CommitPlansAsync(layout, [.. planned.Select(p => (p.Candidate.Current, p.Plan, p.Candidate.Planner.WakeAt(p.Plan.State)))], options.InstanceId, now);
        var claimed = new List<(Planned Planned, LoadedState Current, Activity? Span)>();
        var leftDue = new List<(ScheduleKey Key, Azure.RequestFailedException? Failure)>();
        foreach (var ((p, (committed, outcome)), span) in planned.Zip(commits).Zip(spans))
        {
            if (committed is null)
            {
                Unreserve(p.Plan);
                span?.SetStatus(ActivityStatusCode.Error, outcome.Failure?.Message);
                span?.Dispose();
                if (outcome.Failure is { Status: 412 })
                {
                    counters.Conflict(); // another writer changed the state first: read again, alone
                    metrics.Conflict();
                    work.Add(oneByOne(p.Candidate.Entries));
                }
                else if (outcome.OwnFailure)
                {
                    logger.LogWarning("Claiming {ScheduleId} in its shard's batch failed ({Error}); it is read again and claimed alone", p.Key.ToString(), outcome.Failure?.Message);
                    work.Add(oneByOne(p.Candidate.Entries));
                }
                else
                {
                    // The whole transaction failed (throttled or unreachable after the client's retries): going one by one
                    // would multiply the load. Its schedules stay due; a claim that did commit is found by its lease.
                    leftDue.Add((p.Key, outcome.Failure));
                }

                continue;
            }

            metrics.Committed(p.Candidate.Definition.Job, p.Plan);
            counters.Claimed(p.Plan.Claims.Count);
            counters.Skipped(p.Plan.Notes.Where(n => n.Status == Runs.RunStatus.Skipped).Sum(n => n.Count));
            counters.Missed(p.Plan.Notes.Where(n => n.Status == Runs.RunStatus.Missed).Sum(n => n.Count));
            claimed.Add((p, committed, span));
        }

        if (leftDue.Count > 0)
        {
            counters.Error($"{leftDue.Count} claims of shard {layout.Partition(leftDue[0].Key)} failed with their transaction ({leftDue[0].Failure?.Message}); they stay due");
            logger.LogWarning("{Count} claims failed with their shared transaction ({Error}), {First} first; they stay due for the next tick", leftDue.Count, leftDue[0].Failure?.Message, leftDue[0].Key.ToString());
        }

        if (Queued)
        {
            // Scale-out: RunOccurrence runs them where the messages are taken; a lost message is covered by the lease.
            await EnqueueAsync([.. claimed.Where(c => c.Planned.Plan.Claims.Count > 0).Select(c => (c.Planned, c.Span))], counters);
        }

        // Entries move before the runs start (as on the one-schedule path): left due, every other tick of this process
        // would read these states again while the runs last, and a host that dies mid-run leaves its entry at the lease.
        var entries = await MoveEntriesAsync([.. claimed.Select(c => (c.Planned.Candidate.Entries[0], c.Current.WakeAt, c.Planned.Candidate.Entries))]);
        foreach (var ((p, current, span), entry) in claimed.Zip(entries))
        {
            if (Queued || p.Plan.Claims.Count == 0)
            {
                span?.Dispose();
                if (current.WakeAt is { } wake && wake <= clock.GetUtcNow() && !Queued)
                {
                    work.Add(oneByOne([entry ?? p.Candidate.Entries[0]])); // a skip or a lost lease recorded, and more is due now
                }

                continue;
            }

            startingRuns(p.Key);
            work.Add(RunAndRecordAsync(layout, p, current, entry, span, counters, oneByOne, cancellationToken));
        }

        return work;
    }

    /// <summary>Moves entries together; an entry whose move fails in the batch is moved alone. Returns each schedule's entry now (null when unknown or none).</summary>
    private async Task<DueEntry?[]> MoveEntriesAsync(List<(DueEntry From, DateTimeOffset? To, List<DueEntry> All)> moves)
    {
        var results = await index.MoveManyAsync([.. moves.Select(m => new IndexMove(m.From.Key, m.From, m.To, [.. m.All.Skip(1)]))], CancellationToken.None);
        var entries = new DueEntry?[moves.Count];
        var alone = new List<Task>();
        for (var i = 0; i < moves.Count; i++)
        {
            var (from, to, all) = moves[i];
            if (results[i].Failure is null)
            {
                entries[i] = results[i].Entry;
                continue;
            }

            // 404: an entry was gone already; 412: rewritten since read (a re-add). Alone, the move keeps what it must.
            alone.Add(MoveAloneAsync(all, from, to));
            entries[i] = to is { } t ? new DueEntry(t, from.Key, DueIndex.RowKey(t, from.Key)) : null;
        }

        await Task.WhenAll(alone);
        return entries;
    }

    /// <summary>
    /// A move the batch could not make. If this fails too (storage unreachable), the entry stays where it was: at or
    /// before the state's wake time, so the schedule is read again then, never lost; the runs go ahead.
    /// </summary>
    private async Task MoveAloneAsync(List<DueEntry> all, DueEntry from, DateTimeOffset? to)
    {
        try
        {
            await schedules.MoveIndexAsync(all, from.WakeAt, to, from.Key);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Moving {ScheduleId}'s index entry failed; the entry stays due and the schedule is read again next tick", from.Key.ToString());
        }
    }

    /// <summary>Runs a schedule's claims and records each end in a transaction shared with the shard's other ends; then moves its entry to its next wake.</summary>
    private async Task RunAndRecordAsync(
        ShardedLayout layout, Planned p, LoadedState current, DueEntry? entry, Activity? span, TickCounters counters, Func<List<DueEntry>, Task> oneByOne, CancellationToken cancellationToken)
    {
        var (definition, planner, key) = (p.Candidate.Definition, p.Candidate.Planner, p.Key);
        try
        {
            current = await schedules.RunAndRecordAsync(current, definition, p.Plan.Claims,
                (state, claim, result) => completion.RecordSharedAsync(layout, state, definition, planner, claim, result), span?.Context ?? default, counters, cancellationToken);
        }
        finally
        {
            span?.Dispose();
        }

        try
        {
            await schedules.PruneIfDueAsync(key, p.Plan.Claims.Count);
            var held = entry ?? p.Candidate.Entries[0];
            var wake = planner.WakeAt(current.State);
            // More due now (a retry, a backlog) is planned again alone; when stopping, the entry is only moved to it,
            // so a run the shutdown released is taken at once by the next instance, not at the end of its lease.
            if (wake is { } w && w <= clock.GetUtcNow() && !cancellationToken.IsCancellationRequested)
            {
                await oneByOne([held]);
            }
            else if (entry is null || (wake is null && entry.ETag is null))
            {
                await schedules.MoveIndexAsync([.. p.Candidate.Entries.Where(e => e.RowKey != held.RowKey).Prepend(held)], held.WakeAt, wake, key);
            }
            else if (wake != entry.WakeAt)
            {
                await MoveEntriesAsync([(entry, wake, [entry])]);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            counters.Error($"{key}: moving its index entry failed: {ex.GetType().Name}: {ex.Message}");
            logger.LogError(ex, "Moving {ScheduleId}'s index entry after its runs failed; the entry left due is read again next tick", key.ToString());
        }
    }

    /// <summary>The claim's span, a child of the tick's; not made current, since the batch goes on to the next schedule.</summary>
    private static Activity? StartClaimSpan(Planned p)
    {
        if (p.Plan.Claims.Count == 0)
        {
            return null;
        }

        var tick = Activity.Current;
        var span = SchedulerTelemetry.Source.StartActivity("scheduler.claim");
        Activity.Current = tick;
        span?.SetTag(SchedulerTelemetry.Attributes.Schedule, p.Key.Value);
        span?.SetTag(SchedulerTelemetry.Attributes.Job, p.Candidate.Definition.Job);
        span?.SetTag(SchedulerTelemetry.Attributes.Claims, p.Plan.Claims.Count);
        return span;
    }

    /// <summary>
    /// Queues the round's claims, several to a message (<see cref="OccurrenceQueue.OccurrencesPerMessage"/>), each with
    /// its claim's trace context. A claim whose message could not be sent runs again when its lease ends, as for a lost message.
    /// </summary>
    private async Task EnqueueAsync(List<(Planned Planned, Activity? Span)> claimed, TickCounters counters)
    {
        var occurrences = claimed.SelectMany(c => c.Planned.Plan.Claims.Select(claim =>
            new OccurrenceMessage(c.Planned.Key.Value, claim.Due, claim.Attempt, claim.Reason, claim.LeaseUntil, (c.Span ?? Activity.Current)?.Id))).ToList();
        var failures = await queue.EnqueueManyAsync(occurrences, CancellationToken.None); // committed claims are always handed on
        foreach (var (occurrence, failure) in occurrences.Zip(failures).Where(f => f.Second is not null))
        {
            counters.Error($"{occurrence.Schedule}: queueing its run due {occurrence.Due:O} failed: {failure!.GetType().Name}: {failure.Message}");
            logger.LogError(failure, "Queueing {ScheduleId}'s run due {Due:O} failed; it runs again when its lease ends", occurrence.Schedule, occurrence.Due);
        }
    }

    private sealed record Candidate(List<DueEntry> Entries, LoadedState Current, ScheduleDefinition Definition, DuePlanner Planner);

    private sealed record Planned(Candidate Candidate, Plan Plan)
    {
        public ScheduleKey Key => Candidate.Entries[0].Key;
    }
}
