using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Dispatch;

/// <summary>What one pass over the Schedules table did: entries changed, and those it could not apply with the reason.</summary>
/// <param name="Scanned">False when no pass ran (not due on the reconcile cadence).</param>
internal sealed record ReconcilePass(int Changed, IReadOnlyList<string> Errors, bool Scanned = true)
{
    public static readonly ReconcilePass None = new(0, [], Scanned: false);
}

/// <summary>
/// Brings state rows in line with the Schedules table: a new, edited, invalid, fixed or removed entry is validated,
/// re-planned and written to the edit history. Compares each entry's ETag with the one its state was planned from, so
/// an unchanged table costs one scan and no writes.
/// </summary>
internal sealed class Reconciler(
    DefinitionStore definitions,
    StateStore states,
    DefinitionApplier applier,
    DueIndex index,
    ConflictRetry retry,
    RowQuarantine quarantine,
    Telemetry.SchedulerMetrics metrics,
    SchedulerOptions options,
    TimeProvider clock,
    ILogger<Reconciler> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _errors = [];
    /// <summary>Each schedule's entry version (<see cref="EntryVersion"/>) this process has applied; null: look at it again (invalid).</summary>
    private Dictionary<string, long?>? _applied;
    private DateTimeOffset _lastRun = DateTimeOffset.MinValue;
    private int _lastScanCount = int.MaxValue;
    private volatile Dictionary<string, long>? _scanned;
    private long _scannedFromTicks = DateTimeOffset.MinValue.UtcTicks;

    /// <summary>
    /// A pass that started this recently already read any edit committed before a tick that wants a fresh read. Under a
    /// second, so an edit committed a second before an occurrence's due time is always read before that occurrence is claimed.
    /// </summary>
    public static readonly TimeSpan EditFreshness = TimeSpan.FromMilliseconds(500);

    private const int ApplyBatch = 1000;
    /// <summary>Up to this many edited entries are read one by one; more are read by one scan.</summary>
    private const int PointReads = 32;
    private readonly Lock _applying = new();

    public void Dispose() => _gate.Dispose();


    /// <summary>
    /// True while the Schedules table is small enough (<see cref="SchedulerOptions.EditPollMaxSchedules"/> at the last
    /// pass) to be read before every precise tick and at every poll; larger tables are read at the tick cadence.
    /// </summary>
    public bool PollsEdits => _lastScanCount <= options.EditPollMaxSchedules;

    /// <summary>
    /// True when the latest scan saw the schedule's entry at another version than <paramref name="state"/> was planned
    /// from, or saw it gone: the dispatcher applies that edit itself before it claims, rather than race this pass.
    /// </summary>
    public bool HasUnappliedEdit(ScheduleKey key, ScheduleState state) =>
        _scanned is { } scanned && state.Status != ScheduleStatus.Deleted
        && (scanned.TryGetValue(key.Value, out var version) ? state.DefinitionETag is not { } planned || version != EntryVersion.Of(planned) : state.DefinitionETag is not null);

    private static long VersionOf(TableEntity entity) => EntryVersion.Of(entity.ETag.ToString());

    /// <summary>
    /// True when every tick promises to honour edits (a small table, <see cref="SchedulerOptions.ReconcileInterval"/>
    /// zero as by default) and no complete key scan has started since <paramref name="since"/>: an edit committed
    /// before then may not have been read yet. An operator who set a longer interval chose to read edits less often.
    /// </summary>
    public bool MayHaveMissedEdits(DateTimeOffset since) =>
        PollsEdits && options.ReconcileInterval <= EditFreshness && Volatile.Read(ref _scannedFromTicks) < since.UtcTicks;

    /// <summary>
    /// Reads one entry and, if it is not the version <paramref name="state"/> was planned from (or is gone), applies
    /// it now as a pass would; conflicts are re-read and retried. True when something was applied.
    /// </summary>
    public async Task<bool> ApplyIfEditedAsync(ScheduleKey key, ScheduleState state, CancellationToken cancellationToken)
    {
        var entity = await definitions.GetAsync(key, cancellationToken);
        if (entity?.ETag.ToString() == state.DefinitionETag || (entity is null && state.Status == ScheduleStatus.Deleted))
        {
            return false;
        }

        return entity is not null
            ? await retry.ExecuteAsync(ct => applier.ApplyAsync(key, entity, ct), cancellationToken)
            : await retry.ExecuteAsync(ct => applier.ApplyDeletedAsync(key, ct), cancellationToken);
    }

    /// <summary>Reconciles when <see cref="SchedulerOptions.ReconcileInterval"/> has passed since the last time; returns how many entries changed.</summary>
    public async Task<ReconcilePass> ReconcileIfDueAsync(CancellationToken cancellationToken)
    {
        if (clock.GetUtcNow() - _lastRun < options.ReconcileInterval)
        {
            return ReconcilePass.None;
        }

        return await ReconcileAsync(cancellationToken);
    }

    /// <summary>
    /// Before a precise tick claims, and while an invocation waits: reads edits again (small tables only) unless a pass
    /// started within <see cref="EditFreshness"/>. A pass under way is not waited for: a long one (a bulk import) must
    /// not hold every tick back; it applies what it reads as it goes.
    /// </summary>
    public async Task<ReconcilePass> RefreshAsync(CancellationToken cancellationToken) =>
        PollsEdits ? await ReconcileAsync(EditFreshness, cancellationToken, waitForPassUnderWay: false) : ReconcilePass.None;

    public Task<ReconcilePass> ReconcileAsync(CancellationToken cancellationToken) => ReconcileAsync(TimeSpan.Zero, cancellationToken);

    private async Task<ReconcilePass> ReconcileAsync(TimeSpan freshWithin, CancellationToken cancellationToken, bool waitForPassUnderWay = true)
    {
        if (!await _gate.WaitAsync(waitForPassUnderWay ? Timeout.InfiniteTimeSpan : TimeSpan.Zero, cancellationToken))
        {
            return ReconcilePass.None;
        }

        try
        {
            if (freshWithin > TimeSpan.Zero && clock.GetUtcNow() - _lastRun < freshWithin)
            {
                return ReconcilePass.None;
            }

            var scanFrom = clock.GetUtcNow();
            _lastRun = scanFrom;
            _errors.Clear();
            _applied ??= await PrimeAsync(cancellationToken);
            var seen = new Dictionary<string, long>(_lastScanCount == int.MaxValue ? 0 : _lastScanCount, StringComparer.Ordinal);
            var edited = new HashSet<string>(StringComparer.Ordinal);
            var applied = _applied.GetAlternateLookup<ReadOnlySpan<char>>();
            await foreach (var entity in definitions.ScanKeysAsync(cancellationToken))
            {
                var key = DefinitionStore.KeyOf(entity).Value;
                var version = VersionOf(entity);
                if (applied.TryGetValue(key, out var same, out var known))
                {
                    key = same; // one string per schedule across the maps, not one per map and pass
                }

                seen[key] = version;
                if (same is null || known != version)
                {
                    edited.Add(key);
                }
            }

            _scanned = seen;
            Volatile.Write(ref _scannedFromTicks, scanFrom.UtcTicks); // after the scan it describes: a reader never pairs it with an older one

            var changed = await ApplyEditedAsync(edited, cancellationToken);
            foreach (var gone in _applied.Keys.Where(k => !seen.ContainsKey(k)).ToList())
            {
                try
                {
                    // Forgotten only once the deletion is committed: a conflict or failure is tried again next pass.
                    changed += await retry.ExecuteAsync(ct => applier.ApplyDeletedAsync(ScheduleKey.Parse(gone), ct), cancellationToken) ? 1 : 0;
                    _applied.Remove(gone);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Report(gone, ex);
                }
            }

            _lastScanCount = seen.Count;
            return new ReconcilePass(changed, [.. _errors]);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Reads the edited entries in full and applies them: a few by point reads, many (a first pass, a bulk import) by
    /// one scan in batches. An entry removed since the key scan is left to the next pass.
    /// </summary>
    private async Task<int> ApplyEditedAsync(HashSet<string> edited, CancellationToken cancellationToken)
    {
        if (edited.Count == 0)
        {
            return 0;
        }

        if (edited.Count <= PointReads)
        {
            var read = await Task.WhenAll(edited.Select(k => definitions.GetAsync(ScheduleKey.Parse(k), cancellationToken)));
            return await ApplyAllAsync([.. read.OfType<TableEntity>()], cancellationToken);
        }

        var changed = 0;
        var batch = new List<TableEntity>();
        await foreach (var entity in definitions.ScanAsync(cancellationToken))
        {
            if (edited.Contains(DefinitionStore.KeyOf(entity).Value))
            {
                batch.Add(entity);
            }

            if (batch.Count >= ApplyBatch)
            {
                changed += await ApplyAllAsync(batch, cancellationToken);
                batch.Clear();
            }
        }

        return changed + await ApplyAllAsync(batch, cancellationToken);
    }

    /// <summary>
    /// Applies changed entries in parallel (a bulk import of thousands must not take minutes); each one isolated. Those
    /// this process has seen no state for are added without reading one, their index entries written in batches.
    /// </summary>
    private async Task<int> ApplyAllAsync(List<TableEntity> entities, CancellationToken cancellationToken)
    {
        var isNew = entities.ToLookup(e => !_applied!.ContainsKey(DefinitionStore.KeyOf(e).Value));
        var changed = await AddAllAsync([.. isNew[true]], cancellationToken);
        await Parallel.ForEachAsync(isNew[false], new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, async (entity, ct) =>
        {
            var key = DefinitionStore.KeyOf(entity);
            try
            {
                // A conflict (a run changed the state meanwhile) is re-read and re-applied; the ETag is recorded as
                // applied only once its commit succeeded, so an edit is never forgotten.
                var applied = await retry.ExecuteAsync(attemptToken => applier.ApplyAsync(key, entity, attemptToken), ct);
                lock (_applying)
                {
                    changed += applied ? 1 : 0;
                    _applied![Scanned(key)] = VersionOf(entity);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Report(key.Value, ex);
            }
        });
        return changed;
    }

    /// <summary>
    /// New entries, in chunks of one shard's 100: the chunk's index entries in one transaction, then each state row
    /// inserted (with its edit row) without a read, then the entries written again, as <see cref="DefinitionApplier.ApplyAsync"/>
    /// does for one: a tick that found an entry before its state may have removed it in between. About one request an
    /// entry instead of four. An entry whose state exists after all (a re-add, another instance's apply) is applied the
    /// read-first way; a chunk whose index write fails is left to the next pass, nothing of it committed.
    /// </summary>
    private async Task<int> AddAllAsync(List<TableEntity> entities, CancellationToken cancellationToken)
    {
        var prepared = new List<(string Partition, PreparedAdd Add)>();
        foreach (var entity in entities)
        {
            var key = DefinitionStore.KeyOf(entity);
            try
            {
                prepared.Add((await index.PartitionAsync(key, cancellationToken), applier.PrepareAdd(key, entity)));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Report(key.Value, ex);
            }
        }

        var chunks = prepared.GroupBy(p => p.Partition, StringComparer.Ordinal).SelectMany(shard => shard.Select(p => p.Add).Chunk(100));
        var changed = 0;
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            try
            {
                await index.UpsertManyAsync(Entries(chunk), ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                foreach (var add in chunk)
                {
                    Report(add.Key.Value, ex);
                }

                return;
            }

            var committed = new List<PreparedAdd>();
            foreach (var add in chunk)
            {
                try
                {
                    var applied = await applier.TryCommitAddAsync(add, ct);
                    if (applied)
                    {
                        committed.Add(add);
                    }
                    else
                    {
                        applied = await retry.ExecuteAsync(attemptToken => applier.ApplyAsync(add.Key, add.Entity, attemptToken), ct);
                    }

                    lock (_applying)
                    {
                        changed += applied ? 1 : 0;
                        _applied![Scanned(add.Key)] = VersionOf(add.Entity);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Report(add.Key.Value, ex);
                }
            }

            await WriteAgainAsync(committed);
        });
        return changed;
    }

    /// <summary>The committed entries' index entries once more, in batches; should that fail, one by one, and what still fails is reported.</summary>
    private async Task WriteAgainAsync(List<PreparedAdd> committed)
    {
        try
        {
            await index.UpsertManyAsync(Entries(committed), CancellationToken.None);
        }
        catch (Exception batchFailure) when (batchFailure is not OperationCanceledException)
        {
            foreach (var add in committed.Where(a => a.WakeAt is not null))
            {
                try
                {
                    await index.UpsertAsync(add.WakeAt!.Value, add.Key, CancellationToken.None);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Report(add.Key.Value, ex);
                }
            }
        }
    }

    private static IEnumerable<(DateTimeOffset, ScheduleKey)> Entries(IEnumerable<PreparedAdd> adds) =>
        adds.Where(a => a.WakeAt is not null).Select(a => (a.WakeAt!.Value, a.Key));

    /// <summary>
    /// The latest scan's string for <paramref name="key"/>: the maps of every schedule share one string a schedule
    /// (at 100,000 schedules each copy of the keys is about 6 MB).
    /// </summary>
    private string Scanned(ScheduleKey key)
    {
        var value = key.Value;
        return _scanned is { } scanned && scanned.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(value, out var same, out _) ? same : value;
    }

    /// <summary>One entry must not stop the others: reported in the tick, retried on the next pass.</summary>
    private void Report(string key, Exception ex)
    {
        lock (_applying)
        {
            _errors.Add($"{key}: {ex.GetType().Name}: {ex.Message}");
        }

        logger.LogError(ex, "Reconciling {ScheduleId} failed; it is retried on the next pass and other schedules are unaffected", key);
    }

    private async Task<Dictionary<string, long?>> PrimeAsync(CancellationToken cancellationToken)
    {
        var applied = new Dictionary<string, long?>(StringComparer.Ordinal);
        // A damaged row is left out, so its schedule's definition is applied again (which repairs it); one whose
        // keys name no schedule is only reported.
        var unnamed = new List<(RowFault Fault, TableEntity Row)>();
        await foreach (var (key, etag, status) in states.ScanAsync((fault, row) => unnamed.Add((fault, row)), cancellationToken))
        {
            // Invalid entries are looked at again once per process: a redeploy may have registered the missing job.
            if (status != ScheduleStatus.Deleted)
            {
                applied[key.Value] = status == ScheduleStatus.Invalid || etag is null ? null : EntryVersion.Of(etag);
                metrics.Validity(key.Value, status != ScheduleStatus.Invalid);
            }
        }

        foreach (var (fault, row) in unnamed)
        {
            await quarantine.ReportAsync(fault, row, cancellationToken);
        }

        return applied;
    }
}
