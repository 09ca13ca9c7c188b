using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Scheduler.Azure.Hosting;
using Scheduler.Azure.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Azure.Dispatch;

/// <summary>
/// Brings state rows in line with the Schedules table: a new, edited, invalid, fixed or removed entry is validated,
/// re-planned and written to the edit history. Compares each entry's ETag with the one its state was planned from, so
/// an unchanged table costs one scan and no writes.
/// </summary>
public sealed class Reconciler(
    DefinitionStore definitions,
    StateStore states,
    DueIndex index,
    JobCatalog catalog,
    SchedulerOptions options,
    TimeProvider clock,
    ILogger<Reconciler> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _errors = [];
    private Dictionary<string, string?>? _applied;
    private DateTimeOffset _lastRun = DateTimeOffset.MinValue;

    private const int ApplyBatch = 1000;
    private readonly Lock _applying = new();

    public void Dispose() => _gate.Dispose();

    /// <summary>Entries the last pass could not apply, with the reason.</summary>
    public IReadOnlyList<string> LastErrors => [.. _errors];

    /// <summary>Reconciles when <see cref="SchedulerOptions.ReconcileInterval"/> has passed since the last time; returns how many entries changed.</summary>
    public async Task<int> ReconcileIfDueAsync(CancellationToken cancellationToken)
    {
        if (clock.GetUtcNow() - _lastRun < options.ReconcileInterval)
        {
            return 0;
        }

        return await ReconcileAsync(cancellationToken);
    }

    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _lastRun = clock.GetUtcNow();
            _errors.Clear();
            _applied ??= await PrimeAsync(cancellationToken);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var changed = 0;
            var pending = new List<TableEntity>();
            await foreach (var entity in definitions.ScanAsync(cancellationToken))
            {
                var key = DefinitionStore.KeyOf(entity);
                seen.Add(key.Value);
                if (!_applied.TryGetValue(key.Value, out var known) || known != entity.ETag.ToString())
                {
                    pending.Add(entity);
                }

                if (pending.Count >= ApplyBatch)
                {
                    changed += await ApplyAllAsync(pending, cancellationToken);
                    pending.Clear();
                }
            }

            changed += await ApplyAllAsync(pending, cancellationToken);

            foreach (var gone in _applied.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                if (await ApplyDeletedAsync(ScheduleKey.Parse(gone), cancellationToken))
                {
                    changed++;
                }

                _applied.Remove(gone);
            }

            return changed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Applies changed entries in parallel (a bulk import of thousands must not take minutes); each one isolated.</summary>
    private async Task<int> ApplyAllAsync(List<TableEntity> entities, CancellationToken cancellationToken)
    {
        var changed = 0;
        await Parallel.ForEachAsync(entities, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, async (entity, ct) =>
        {
            var key = DefinitionStore.KeyOf(entity);
            try
            {
                var applied = await ApplyAsync(key, entity, ct);
                lock (_applying)
                {
                    changed += applied ? 1 : 0;
                    _applied![key.Value] = entity.ETag.ToString();
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One entry must not stop the others: reported in the tick, retried on the next pass.
                lock (_applying)
                {
                    _errors.Add($"{key}: {ex.GetType().Name}: {ex.Message}");
                }

                logger.LogError(ex, "Reconciling {ScheduleId} failed; it is retried on the next pass and other schedules are unaffected", key.ToString());
            }
        });
        return changed;
    }

    private async Task<Dictionary<string, string?>> PrimeAsync(CancellationToken cancellationToken)
    {
        var applied = new Dictionary<string, string?>(StringComparer.Ordinal);
        await foreach (var (key, etag, status) in states.ScanAsync(cancellationToken))
        {
            // Invalid entries are looked at again once per process: a redeploy may have registered the missing job.
            if (status != ScheduleStatus.Deleted)
            {
                applied[key.Value] = status == ScheduleStatus.Invalid ? null : etag;
            }
        }

        return applied;
    }

    private async Task<bool> ApplyAsync(ScheduleKey key, TableEntity entity, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var current = await states.GetAsync(key, cancellationToken);
        var etag = entity.ETag.ToString();
        var columns = DefinitionStore.ColumnsOf(entity);
        var snapshot = ColumnSnapshot.Serialize(columns);
        var valid = ScheduleValidator.TryValidate(key, columns, catalog.Validation, out var definition, out var errors);
        if (current?.State.DefinitionETag == etag && (current.State.Status != ScheduleStatus.Invalid || !valid))
        {
            return false;
        }

        var changedAt = entity.Timestamp is { } ts && ts < now ? ts : now;
        var state = valid
            ? DefinitionChange.Apply(current?.State, definition!, etag, snapshot, changedAt)
            : DefinitionChange.ApplyInvalid(current?.State, errors, etag, snapshot);
        var wakeAt = definition is not null ? new DuePlanner(definition, ScheduleTimeline.For(definition), options.InstanceId, options.LeaseMargin).WakeAt(state) : DuePlanner.LeaseWakeAt(state);
        var change = current is null ? "Added" : current.State.Status == ScheduleStatus.Deleted ? "Re-added" : "Edited";
        var edit = new EditEntry(change, now, current?.State.Definition, snapshot, state.Status.ToString(), state.Error);

        // Index first: a crash after this leaves a harmless extra entry, never a schedule without one.
        if (wakeAt is { } wake)
        {
            await index.UpsertAsync(wake, key, cancellationToken);
        }

        try
        {
            await states.CommitEditAsync(key, current, state, wakeAt, definition?.Job ?? columns.GetValueOrDefault(ScheduleColumns.Job) as string, edit, options.InstanceId, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
        {
            return false; // another instance applied this edit (or a run changed the state): the next pass looks again
        }

        if (current?.WakeAt is { } old && old != wakeAt)
        {
            await index.DeleteAsync(old, key, cancellationToken); // succeeds when a dispatcher already moved it
        }

        if (state.Status == ScheduleStatus.Invalid)
        {
            logger.LogWarning("Schedule {ScheduleId} is invalid: {Error}", key.ToString(), state.Error);
        }
        else
        {
            logger.LogInformation("Schedule {ScheduleId} {Change}: {Status}, next due {NextDue}", key.ToString(), change, state.Status, state.NextDue);
        }

        return true;
    }

    private async Task<bool> ApplyDeletedAsync(ScheduleKey key, CancellationToken cancellationToken)
    {
        var current = await states.GetAsync(key, cancellationToken);
        if (current is null || current.State.Status == ScheduleStatus.Deleted)
        {
            return false;
        }

        var now = clock.GetUtcNow();
        var state = DefinitionChange.ApplyDeleted(current.State);
        var wakeAt = DuePlanner.LeaseWakeAt(state);
        try
        {
            await states.CommitEditAsync(key, current, state, wakeAt, current.Job, new EditEntry("Deleted", now, current.State.Definition, null, state.Status.ToString(), null), options.InstanceId, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }

        if (current.WakeAt is { } old && old != wakeAt)
        {
            await index.DeleteAsync(old, key, cancellationToken); // succeeds when a dispatcher already moved it
        }

        logger.LogInformation("Schedule {ScheduleId} was removed from the Schedules table; its ledger is kept", key.ToString());
        return true;
    }

}
