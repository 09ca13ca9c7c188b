using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Dispatch;

/// <summary>A new entry validated and planned by <see cref="DefinitionApplier.PrepareAdd"/>: the state, index entry and edit row it will write.</summary>
internal sealed record PreparedAdd(ScheduleKey Key, TableEntity Entity, ScheduleState State, DateTimeOffset? WakeAt, string? Job, EditEntry Edit);

/// <summary>
/// Applies one definition change to its schedule's state: validates, re-plans and writes the state with its edit
/// history row (and the index entry the state needs) in one conditional commit. A 409 or 412 (another instance
/// applied it, or a run changed the state) throws, so the caller re-reads and retries.
/// </summary>
internal sealed class DefinitionApplier(
    DefinitionStore definitions,
    StateStore states,
    DueIndex index,
    JobCatalog catalog,
    DefinitionResolver resolver,
    RowQuarantine quarantine,
    LedgerRecovery recovery,
    Telemetry.SchedulerMetrics metrics,
    SchedulerOptions options,
    TimeProvider clock,
    ILogger<DefinitionApplier> logger)
{
    /// <summary>True when the state changed; false when it already reflects the entry.</summary>
    /// <param name="seed">For a schedule without a state row: what is known of it already (a state rebuilt from its ledger).</param>
    public async ValueTask<bool> ApplyAsync(ScheduleKey key, TableEntity entity, CancellationToken cancellationToken, ScheduleState? seed = null)
    {
        var now = clock.GetUtcNow();
        var current = await states.GetAsync(key, cancellationToken);
        if (current is not null)
        {
            // The entry as it is now, not as a scan saw it a while ago: applying an older read could put back a version
            // (or resurrect a deletion) that another instance has already replaced. Gone now: the next pass deletes.
            if (await definitions.GetAsync(key, cancellationToken) is not { } fresh)
            {
                return false;
            }

            entity = fresh;
            if (current.Faults.Count > 0)
            {
                current = await SalvageAsync(current, cancellationToken);
            }
        }

        var etag = entity.ETag.ToString();
        var columns = DefinitionStore.ColumnsOf(entity);
        var valid = TryValidate(key, columns, out var definition, out var errors);
        metrics.Validity(key.Value, valid);
        if (current?.State.DefinitionETag == etag && (current.State.Status != ScheduleStatus.Invalid || !valid) && current.Faults.Count == 0)
        {
            return false;
        }

        var change = current is null ? (seed is null ? "Added" : "Re-created") : current.State.Status == ScheduleStatus.Deleted ? "Re-added" : "Edited";
        var (state, wakeAt, edit) = Plan(entity, columns, definition, errors, current?.State ?? seed, current?.State.Definition, change, now);

        // Index first: a crash after this leaves a harmless extra entry, never a schedule without one.
        if (wakeAt is { } wake)
        {
            await index.UpsertAsync(wake, key, cancellationToken);
        }

        var dropped = current is null ? null : Dropped(key, current.State, state, now, valid
            ? definition!.Enabled ? "the entry was edited before these overdue occurrences were dispatched; the new version runs from its own next due time" : "the schedule was paused before these overdue occurrences were dispatched"
            : "the entry became invalid before these overdue occurrences were dispatched");

        // A 409 or 412 (another instance applied this edit, or a run changed the state) throws: the caller re-reads and retries.
        await states.CommitEditAsync(key, current, state, wakeAt, JobOf(definition, columns), edit, options.InstanceId, cancellationToken, dropped);

        // And again after it: a tick that read the entry and the state before this commit may have removed the entry
        // as stale in between (it reads the state again after such a delete, which covers the other order).
        if (wakeAt is { } committed && current?.WakeAt != committed)
        {
            await index.UpsertAsync(committed, key, CancellationToken.None);
        }

        if (current?.WakeAt is { } old && old != wakeAt)
        {
            await index.DeleteAsync(old, key, cancellationToken); // succeeds when a dispatcher already moved it
        }

        LogApplied(key, change, state);
        return true;
    }

    /// <summary>
    /// A new entry, as far as this process knows (no state row was seen for it): validated and planned without reading
    /// its state, for <see cref="TryCommitAddAsync"/>. A bulk import writes thousands so, their index entries in batches.
    /// </summary>
    public PreparedAdd PrepareAdd(ScheduleKey key, TableEntity entity)
    {
        var columns = DefinitionStore.ColumnsOf(entity);
        var valid = TryValidate(key, columns, out var definition, out var errors);
        metrics.Validity(key.Value, valid);
        var (state, wakeAt, edit) = Plan(entity, columns, definition, errors, basis: null, previous: null, "Added", clock.GetUtcNow());
        return new PreparedAdd(key, entity, state, wakeAt, JobOf(definition, columns), edit);
    }

    /// <summary>
    /// Inserts the prepared state with its edit row; its index entry must be written first. False when a state row
    /// exists after all (a re-add, a damaged row, another instance's apply): nothing is written, and the caller applies
    /// the entry by <see cref="ApplyAsync"/>, which reads the state first.
    /// </summary>
    public async Task<bool> TryCommitAddAsync(PreparedAdd add, CancellationToken cancellationToken)
    {
        try
        {
            await states.CommitEditAsync(add.Key, null, add.State, add.WakeAt, add.Job, add.Edit, options.InstanceId, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            return false;
        }

        LogApplied(add.Key, add.Edit.Change, add.State);
        return true;
    }

    /// <summary>The state an entry's version leaves on <paramref name="basis"/> (none: a new schedule), the wake time it needs, and its edit history row (recording <paramref name="previous"/> as the version before).</summary>
    private (ScheduleState State, DateTimeOffset? WakeAt, EditEntry Edit) Plan(
        TableEntity entity, IReadOnlyDictionary<string, object?> columns, ScheduleDefinition? definition, IReadOnlyList<string> errors, ScheduleState? basis, string? previous, string change, DateTimeOffset now)
    {
        var etag = entity.ETag.ToString();
        var snapshot = ColumnSnapshot.Serialize(columns);
        var changedAt = entity.Timestamp is { } ts && ts < now ? ts : now;
        var state = definition is not null
            ? DefinitionChange.Apply(basis, definition, etag, snapshot, changedAt)
            : DefinitionChange.ApplyInvalid(basis, errors, etag, snapshot);
        var wakeAt = definition is not null ? resolver.PlannerFor(definition).WakeAt(state) : DuePlanner.LeaseWakeAt(state);
        var edit = new EditEntry(change, now, previous, snapshot, state.Status.ToString(), state.Error, ChangedAt: changedAt);
        return (state, wakeAt, edit);
    }

    private static string? JobOf(ScheduleDefinition? definition, IReadOnlyDictionary<string, object?> columns) =>
        definition?.Job ?? columns.GetValueOrDefault(ScheduleColumns.Job) as string;

    private void LogApplied(ScheduleKey key, string change, ScheduleState state)
    {
        if (state.Status == ScheduleStatus.Invalid)
        {
            logger.LogWarning("Schedule {ScheduleId} is invalid: {Error}", key.ToString(), state.Error);
        }
        else
        {
            logger.LogInformation("Schedule {ScheduleId} {Change}: {Status}, {Next}", key.ToString(), change, state.Status,
                state.NextDue is { } next ? "next due " + next.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) : state.Status == ScheduleStatus.Paused ? "no due time while paused" : "no due time left");
        }
    }

    /// <summary>What the change drops of the old version's overdue occurrences, to be recorded Missed (never dropped silently).</summary>
    private LedgerNote? Dropped(ScheduleKey key, ScheduleState before, ScheduleState after, DateTimeOffset now, string reason)
    {
        if (before.Status != ScheduleStatus.Active || before.NextDue is not { } first || first > now)
        {
            return null; // the common case: nothing overdue, so the old version is not validated again on every apply
        }

        var timeline = resolver.TryResolve(key, before, out var old, out _) ? ScheduleTimeline.For(old!) : null;
        var note = DefinitionChange.Overdue(before, timeline, after, now, reason);
        if (note is not null)
        {
            logger.LogWarning("Schedule {ScheduleId}: {Count} overdue occurrence(s) from {First:O} to {Last:O} not run: {Reason}", key.ToString(), note.Count, note.FirstDue, note.LastDue, reason);
        }

        return note;
    }

    /// <summary>The validator's verdict; should it ever throw on some input, the entry is marked invalid with the reason instead of failing every pass.</summary>
    private bool TryValidate(ScheduleKey key, IReadOnlyDictionary<string, object?> columns, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ScheduleDefinition? definition, out IReadOnlyList<string> errors)
    {
        try
        {
            return ScheduleValidator.TryValidate(key, columns, catalog.Validation, out definition, out errors);
        }
        catch (Exception ex) when (ex is ArithmeticException or ArgumentException or FormatException or InvalidOperationException)
        {
            logger.LogError(ex, "Validating {ScheduleId} threw; the entry is marked invalid", key.ToString());
            definition = null;
            errors = [$"the entry could not be validated ({ex.GetType().Name}: {ex.Message}); check its columns against README"];
            return false;
        }
    }

    /// <summary>
    /// A state row with columns that do not read (written by hand or by a tool): its columns are copied to the
    /// quarantine, and what it lost of its runs is rebuilt from the ledger. The commit that follows replaces the row whole.
    /// </summary>
    private async Task<LoadedState> SalvageAsync(LoadedState current, CancellationToken cancellationToken)
    {
        if (await states.GetEntityAsync(current.Key, cancellationToken) is { } raw)
        {
            await quarantine.ReportAsync(states.Fault(raw, current.Faults), raw, cancellationToken);
        }

        return current with { State = await recovery.RecoverAsync(current.Key, current.State, StateEntity.LostRuns(current.Faults), cancellationToken) };
    }

    /// <summary>The entry is gone: the state is marked Deleted (its ledger is kept). False when it already is.</summary>
    public async ValueTask<bool> ApplyDeletedAsync(ScheduleKey key, CancellationToken cancellationToken)
    {
        var current = await states.GetAsync(key, cancellationToken);
        if (current is null || current.State.Status == ScheduleStatus.Deleted)
        {
            return false;
        }

        var now = clock.GetUtcNow();
        metrics.Validity(key.Value, valid: true);
        var state = DefinitionChange.ApplyDeleted(current.State);
        var wakeAt = DuePlanner.LeaseWakeAt(state);
        var dropped = Dropped(key, current.State, state, now, "the entry was removed before these overdue occurrences were dispatched");
        await states.CommitEditAsync(key, current, state, wakeAt, current.Job, new EditEntry("Deleted", now, current.State.Definition, null, state.Status.ToString(), null), options.InstanceId, cancellationToken, dropped);

        if (current.WakeAt is { } old && old != wakeAt)
        {
            await index.DeleteAsync(old, key, cancellationToken); // succeeds when a dispatcher already moved it
        }

        logger.LogInformation("Schedule {ScheduleId} was removed from the Schedules table; its ledger is kept", key.ToString());
        return true;
    }

}
