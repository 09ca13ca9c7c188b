using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Sharding;
using Scheduler.Storage;

namespace Scheduler.Dispatch;

/// <summary>
/// One tick: reconcile edited definitions, read the due index, and hand each due schedule to
/// <see cref="ScheduleDispatch"/> (plan, claim, run, record). Every host (timer function, standalone loop, tests,
/// benchmarks) calls this same method. Ticks of one process may overlap; they share the process's lanes.
/// </summary>
internal sealed class Dispatcher(
    Reconciler reconciler,
    DueIndex index,
    ShardLeases leases,
    ScheduleDispatch schedules,
    ShardBatch batches,
    StateStore states,
    SchedulerOptions options,
    StorageRequestCounter requests,
    Telemetry.SchedulerMetrics metrics,
    TimeProvider clock,
    ILogger<Dispatcher> logger)
{
    /// <summary>The due schedules this process's ticks hold (overlapping ticks leave each to one).</summary>
    private readonly TickHolds _holds = new();
    private long _ticks;
    private long _lastHelpTicks;

    /// <summary>How overdue an entry of another instance's shard must be before this instance takes it.</summary>
    public static readonly TimeSpan HelpAfter = TimeSpan.FromMinutes(1);

    public string InstanceId => options.InstanceId;

    public Task<TickReport> TickAsync(CancellationToken cancellationToken = default) => TickAsync(reconcile: true, cancellationToken);

    /// <param name="reconcile">
    /// True: read edits on the <see cref="SchedulerOptions.ReconcileInterval"/> cadence (a timer's tick). False, the
    /// extra ticks of a precise-firing invocation: read them again only if the table is small and the last read is stale.
    /// </param>
    public async Task<TickReport> TickAsync(bool reconcile, CancellationToken cancellationToken = default)
    {
        using var span = Telemetry.SchedulerTelemetry.Source.StartActivity("scheduler.tick");
        span?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Instance, options.InstanceId);
        try
        {
            var report = await TickCoreAsync(reconcile, cancellationToken);
            metrics.TickEnded(report);
            span?.SetTag("scheduler.tick.due_entries", report.DueEntries);
            span?.SetTag("scheduler.tick.claimed", report.Claimed);
            if (report.Errors.Count > 0)
            {
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, report.Errors[0]);
            }

            return report;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            metrics.TickFailed();
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, $"{ex.GetType().Name}: {ex.Message}");
            throw;
        }
    }

    private async Task<TickReport> TickCoreAsync(bool reconcile, CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        var requestsBefore = requests.Total;
        var counters = new TickCounters();
        var pass = reconcile ? await reconciler.ReconcileIfDueAsync(cancellationToken) : await reconciler.RefreshAsync(cancellationToken);
        counters.Edits(pass.Changed);
        foreach (var error in pass.Errors)
        {
            counters.Error(error);
        }

        var held = await leases.CurrentAsync(cancellationToken);
        var bad = new List<RowFault>(held.Faults);
        if (reconcile && pass.Scanned && held.Shards.Contains(0))
        {
            // Entries an instance of the layout before sharding wrote while this one runs (a rolling upgrade), on the
            // edit scan's cadence, by shard 0's holder: one query when there are none.
            await index.MigrateLegacyAsync(options.MaxDuePerTick, bad, cancellationToken);
        }

        var tick = Interlocked.Increment(ref _ticks);
        IReadOnlyList<DueEntry> due = [];
        List<List<DueEntry>> dueSchedules = [];
        List<DueEntry>[] bySchedule = [];
        try
        {
            using (var read = _holds.StartRead())
            {
                due = await index.QueryDueAsync(started, options.MaxDuePerTick, held.Shards, bad, cancellationToken);
                var helping = await OverdueElsewhereAsync(held, started, options.MaxDuePerTick - due.Count, bad, cancellationToken);
                due = [.. due, .. helping];
                dueSchedules = [.. due.GroupBy(e => e.Key).Select(g => g.OrderBy(e => e.WakeAt).ToList())];
                bySchedule = [.. dueSchedules.Where(entries => _holds.TryTake(entries[0].Key, tick, read))];
            }

            foreach (var fault in bad)
            {
                await QuarantineAsync(fault, counters, cancellationToken);
            }

            Random.Shared.Shuffle(bySchedule); // instances walk the due set in different orders, so they contend less
            bool StillMine(int shard) => !held.Shards.Contains(shard) || leases.Holds(shard); // taken as help from a stalled holder's shard: nothing to hand over
            Task OneByOne(List<DueEntry> entries, Func<bool> stillMine) => ProcessAsync(entries, started, tick, counters, stillMine, cancellationToken);
            var shared = bySchedule.Length > 0 ? await states.SharedPartitionsAsync(cancellationToken) : null;
            await Task.WhenAll(shared is null
                ? bySchedule.Select(entries =>
                {
                    var shard = ShardMap.ShardOf(entries[0].Key, held.ShardCount);
                    return OneByOne(entries, () => StillMine(shard));
                })
                : bySchedule.GroupBy(entries => ShardMap.ShardOf(entries[0].Key, held.ShardCount)).Select(group =>
                    BatchAsync(shared, group.Key, [.. group], started, tick, counters, () => StillMine(group.Key), e => OneByOne(e, () => StillMine(group.Key)), cancellationToken)));
        }
        finally
        {
            // Whatever ends the tick (those cancelled before their turn, a failure after the take): a schedule this
            // tick holds and does not let go would never run in this process again, while it keeps the shard.
            foreach (var entries in bySchedule)
            {
                _holds.Release(entries[0].Key, tick);
            }
        }

        var report = counters.ToReport(started, due.Count, dueSchedules.Count - bySchedule.Length, requests.Total - requestsBefore, clock.GetUtcNow() - started);
        logger.LogInformation(
            "Tick: {Due} due, {Claimed} claimed, {Ran} ran, {Failed} failed, {Skipped} skipped, {Missed} missed, {Conflicts} conflicts, {HandedOver} left to the instance that took their shard, {Edits} edits, {Quarantined} rows quarantined, {Requests} storage requests, {DurationMs} ms",
            report.DueEntries, report.Claimed, report.Ran, report.Failed, report.Skipped, report.Missed, report.Conflicts, report.HandedOver, report.Edits, report.Quarantined, report.StorageRequests, (long)report.Duration.TotalMilliseconds);
        return report;
    }

    /// <summary>
    /// Every half lease: entries of other instances' shards that are overdue by more than <see cref="HelpAfter"/>. A
    /// holder that is alive works off its shards' backlog well within that, so these are none (one empty read per
    /// shard); a holder that stalls while renewing its leases would otherwise leave them waiting. (A dead one's shards
    /// move when its leases end.) Not sooner: a backlog seconds old is no sign of a dead holder, and helping with it is
    /// every instance reading everything again (the benchmark measured 11.7 requests an occurrence with 3 instances when
    /// this helped after a lease). Claims are conditional on the state row, so helping is always safe.
    /// </summary>
    private async Task<IReadOnlyList<DueEntry>> OverdueElsewhereAsync(HeldShards held, DateTimeOffset now, int max, List<RowFault> bad, CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref _lastHelpTicks);
        if (max <= 0 || now.UtcTicks - last < leases.Duration.Ticks / 2 || Interlocked.CompareExchange(ref _lastHelpTicks, now.UtcTicks, last) != last)
        {
            return [];
        }

        var others = held.Others.ToList();
        var overdue = others.Count == 0 ? [] : await index.QueryDueAsync(now - HelpAfter, max, others, bad, cancellationToken);
        if (overdue.Count > 0)
        {
            logger.LogWarning("{Count} due entries of shards this instance does not hold were overdue by more than {HelpAfter} s (their holder is stalled); taking them", overdue.Count, HelpAfter.TotalSeconds);
        }

        return overdue;
    }

    /// <summary>An index row that names no schedule: reported with its keys, then removed so it is not read every tick.</summary>
    private async Task QuarantineAsync(RowFault fault, TickCounters counters, CancellationToken cancellationToken)
    {
        counters.Quarantined();
        try
        {
            await index.SetAsideAsync(fault, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Removing the unreadable due index row {RowKey} failed; it is passed over and tried again next tick", fault.RowKey);
        }
    }

    /// <summary>A shard's due schedules together (<see cref="ShardBatch"/>); a failure of the batch's own reads is reported and its schedules stay due for the next tick.</summary>
    private async Task BatchAsync(
        ShardedLayout layout, int shard, List<DueEntry>[] due, DateTimeOffset started, long tick, TickCounters counters,
        Func<bool> stillMine, Func<List<DueEntry>, Task> oneByOne, CancellationToken cancellationToken)
    {
        try
        {
            await batches.ProcessAsync(layout, due, started, counters, key => _holds.Release(key, tick), stillMine, oneByOne, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            counters.Error($"shard {shard}: {ex.GetType().Name}: {ex.Message}");
            logger.LogError(ex, "Dispatching the {Count} due schedules of shard {Shard} failed; those not claimed stay due and are retried next tick", due.Length, shard);
        }
    }

    private async Task ProcessAsync(List<DueEntry> entries, DateTimeOffset started, long tick, TickCounters counters, Func<bool> stillMine, CancellationToken cancellationToken)
    {
        var key = entries[0].Key;
        void Release() => _holds.Release(key, tick);
        try
        {
            await schedules.ProcessAsync(entries, started, counters, Release, stillMine, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            counters.Error($"{key}: {ex.GetType().Name}: {ex.Message}");
            logger.LogError(ex, "Dispatching {ScheduleId} failed; the occurrence stays due and is retried next tick", key.ToString());
        }
        finally
        {
            Release();
        }
    }
}
