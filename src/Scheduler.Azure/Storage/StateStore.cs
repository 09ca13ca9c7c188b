using Azure;
using Azure.Data.Tables;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>A state row and its ETag, as read; <paramref name="Faults"/> names the columns that did not read (none for a row the scheduler wrote).</summary>
internal sealed record LoadedState(ScheduleKey Key, ScheduleState State, ETag ETag, DateTimeOffset? WakeAt, string? Job, IReadOnlyList<string>? Faults = null)
{
    public IReadOnlyList<string> Faults { get; init; } = Faults ?? [];
}

/// <summary>
/// A schedule's rows in the state table: its state row, its run ledger and its edit history, all in one partition
/// (where, <see cref="StateLayout"/> says). Everything that changes a state commits in one entity-group transaction,
/// conditional on the state's ETag, together with the ledger or edit rows it implies: a claim and its ledger row land
/// together or not at all.
/// </summary>
internal sealed class StateStore(SchedulerTables tables, ShardStore shards)
{
    private TableClient Table => tables.State;

    /// <summary>Where rows live in this deployment's state table.</summary>
    public ValueTask<StateLayout> LayoutAsync(CancellationToken cancellationToken = default) => shards.StateLayoutAsync(cancellationToken);

    public async Task<LoadedState?> GetAsync(ScheduleKey key, CancellationToken cancellationToken = default) =>
        await GetEntityAsync(key, cancellationToken) is { } entity ? Load(key, entity) : null;

    /// <summary>The state row as stored, unparsed (for the quarantine's copy).</summary>
    public async Task<TableEntity?> GetEntityAsync(ScheduleKey key, CancellationToken cancellationToken = default)
    {
        var layout = await LayoutAsync(cancellationToken);
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(layout.Partition(key), layout.StateRow(key), cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Commits a plan: the state (If-Match), a Running row per claim, the Skipped/Missed notes, and the lost-lease rows. Throws 412 when another instance got there first.</summary>
    public async Task<LoadedState> CommitPlanAsync(LoadedState current, Plan plan, DateTimeOffset? wakeAt, string instance, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = current.Key;
        var job = current.Job ?? "";
        var layout = await LayoutAsync(cancellationToken);
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, StateEntity.ToEntity(layout, key, plan.State, wakeAt, current.Job, now), current.ETag),
        };
        actions.AddRange(plan.Expired.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertMerge, LedgerRows.LeaseEnded(layout, key, r, now))));
        actions.AddRange(plan.Claims.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace, LedgerRows.Claimed(layout, key, job, c, instance, now))));
        actions.AddRange(plan.Notes.Select(n => new TableTransactionAction(TableTransactionActionType.UpsertReplace, LedgerRows.Note(layout, key, job, n, instance, now))));
        var response = await Table.SubmitTransactionAsync(actions, cancellationToken);
        return current with { State = plan.State, ETag = response.Value[0].Headers.ETag!.Value, WakeAt = wakeAt, Faults = [] };
    }

    /// <summary>Records a finished run: its ledger row, and (when it still holds its claim) the state it leaves, If-Match.</summary>
    public async Task<LoadedState> CommitCompletionAsync(LoadedState current, ScheduleState? state, DateTimeOffset? wakeAt, ClaimedRun run, RunOutcome outcome, string instance, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var layout = await LayoutAsync(cancellationToken);
        var ledger = new TableTransactionAction(TableTransactionActionType.UpsertMerge, LedgerRows.Finished(layout, current.Key, run, outcome, instance));
        if (state is null)
        {
            await Table.SubmitTransactionAsync([ledger], cancellationToken);
            return current;
        }

        var response = await Table.SubmitTransactionAsync(
            [new TableTransactionAction(TableTransactionActionType.UpdateReplace, StateEntity.ToEntity(layout, current.Key, state, wakeAt, current.Job, now), current.ETag), ledger],
            cancellationToken);
        return current with { State = state, ETag = response.Value[0].Headers.ETag!.Value, WakeAt = wakeAt, Faults = [] };
    }

    /// <summary>Writes a state (a manual trigger request, a started or released run), If-Match, with an optional merge into one of its ledger rows in the same transaction.</summary>
    public async Task<LoadedState> ReplaceAsync(LoadedState current, ScheduleState state, DateTimeOffset? wakeAt, DateTimeOffset now, CancellationToken cancellationToken, RunRowMerge? ledger = null)
    {
        var layout = await LayoutAsync(cancellationToken);
        var stateEntity = StateEntity.ToEntity(layout, current.Key, state, wakeAt, current.Job, now);
        if (ledger is null)
        {
            var response = await Table.UpdateEntityAsync(stateEntity, current.ETag, TableUpdateMode.Replace, cancellationToken);
            return current with { State = state, ETag = response.Headers.ETag!.Value, WakeAt = wakeAt, Faults = [] };
        }

        var batch = await Table.SubmitTransactionAsync(
            [new TableTransactionAction(TableTransactionActionType.UpdateReplace, stateEntity, current.ETag), new TableTransactionAction(TableTransactionActionType.UpsertMerge, ledger.ToEntity(layout, current.Key))],
            cancellationToken);
        return current with { State = state, ETag = batch.Value[0].Headers.ETag!.Value, WakeAt = wakeAt, Faults = [] };
    }

    /// <summary>Applies a definition change: the state (inserted, or replaced If-Match) and its edit history row, in one transaction.</summary>
    /// <param name="dropped">Overdue occurrences the change means will not run (<see cref="DefinitionChange.Overdue"/>): their Missed row commits with the edit.</param>
    public async Task CommitEditAsync(ScheduleKey key, LoadedState? current, ScheduleState state, DateTimeOffset? wakeAt, string? job, EditEntry edit, string instance, CancellationToken cancellationToken, LedgerNote? dropped = null)
    {
        var layout = await LayoutAsync(cancellationToken);
        var stateEntity = StateEntity.ToEntity(layout, key, state, wakeAt, job, edit.DetectedAt);
        var editEntity = new TableEntity(layout.Partition(key), layout.EditRow(key, edit.DetectedAt, instance))
        {
            ["Change"] = edit.Change,
            ["DetectedAt"] = Iso.Format(edit.DetectedAt),
            ["ChangedAt"] = edit.ChangedAt is { } changedAt ? Iso.Format(changedAt) : null,
            ["Previous"] = edit.Previous,
            ["New"] = edit.New,
            ["Status"] = edit.Status,
            ["Error"] = StateEntity.Truncate(edit.Error),
        };
        var stateAction = current is null
            ? new TableTransactionAction(TableTransactionActionType.Add, stateEntity)
            : new TableTransactionAction(TableTransactionActionType.UpdateReplace, stateEntity, current.ETag);
        List<TableTransactionAction> actions = [stateAction, new TableTransactionAction(TableTransactionActionType.UpsertReplace, editEntity)];
        if (dropped is not null)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, LedgerRows.Note(layout, key, job ?? "", dropped, instance, edit.DetectedAt)));
        }

        await Table.SubmitTransactionAsync(actions, cancellationToken);
    }

    public async Task<IReadOnlyList<LedgerEntry>> ReadRunsAsync(ScheduleKey key, int max = int.MaxValue, CancellationToken cancellationToken = default)
    {
        var rows = new List<LedgerEntry>();
        await foreach (var e in Table.QueryAsync<TableEntity>(await HistoryFilterAsync(key, HistoryRows.Runs, cancellationToken), cancellationToken: cancellationToken))
        {
            rows.Add(LedgerRows.Read(e));
            if (rows.Count >= max)
            {
                break;
            }
        }

        return rows;
    }

    public async Task<IReadOnlyList<EditEntry>> ReadEditsAsync(ScheduleKey key, int max = int.MaxValue, CancellationToken cancellationToken = default)
    {
        var rows = new List<EditEntry>();
        await foreach (var e in Table.QueryAsync<TableEntity>(await HistoryFilterAsync(key, HistoryRows.Edits, cancellationToken), cancellationToken: cancellationToken))
        {
            rows.Add(LedgerRows.ReadEdit(e));
            if (rows.Count >= max)
            {
                break;
            }
        }

        return rows;
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> of a schedule's runs or edits.</summary>
    public async Task<int> PruneAsync(ScheduleKey key, HistoryRows rows, int keep, CancellationToken cancellationToken = default)
    {
        var stale = new List<TableTransactionAction>();
        var seen = 0;
        await foreach (var e in Table.QueryAsync<TableEntity>(await HistoryFilterAsync(key, rows, cancellationToken), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            if (++seen > keep)
            {
                stale.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(e.PartitionKey, e.RowKey), ETag.All));
            }
        }

        foreach (var chunk in stale.Chunk(100))
        {
            await Table.SubmitTransactionAsync(chunk, cancellationToken);
        }

        return stale.Count;
    }

    /// <summary>Deletes every schedule's ledger rows of runs that finished before <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<int> DeleteRunsFinishedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        var layout = await LayoutAsync(cancellationToken);
        var finishedBefore = TableClient.CreateQueryFilter($"FinishedAt lt {Iso.Format(cutoff)}");
        var stale = new List<TableEntity>();
        foreach (var filter in layout.RunRowsFilters(finishedBefore))
        {
            await foreach (var row in Table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
            {
                stale.Add(row);
            }
        }

        foreach (var partition in stale.GroupBy(r => r.PartitionKey))
        {
            foreach (var chunk in partition.Chunk(100))
            {
                await Table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken);
            }
        }

        return stale.Count;
    }

    /// <summary>
    /// Every state row's key, definition ETag and status: what the reconciler compares definitions against. A row whose
    /// columns do not read is left out (the reconciler then applies the schedule's definition again, which repairs it);
    /// a row that is no schedule's state (its keys name none, or another shard's) goes to <paramref name="unnamed"/>.
    /// </summary>
    public async IAsyncEnumerable<(ScheduleKey Key, string? DefinitionETag, ScheduleStatus Status)> ScanAsync(
        Action<RowFault, TableEntity> unnamed,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var layout = await LayoutAsync(cancellationToken);
        await foreach (var e in QueryStateRowsAsync(layout, ["PartitionKey", "RowKey", "DefinitionETag", "Status"], cancellationToken))
        {
            if (!layout.TryReadStateKey(e, out var key, out var reason))
            {
                unnamed(Fault(e, [reason]), e);
                continue;
            }

            var row = new RowReader(e);
            var etag = row.Text("DefinitionETag");
            var status = row.Named<ScheduleStatus>("Status");
            if (row.Faults.Count == 0)
            {
                yield return (key, etag, status ?? ScheduleStatus.Active);
            }
        }
    }

    /// <summary>Every state row in full (for tools: listing, doctor); rows that name no schedule go to <paramref name="bad"/>.</summary>
    public async Task<IReadOnlyList<LoadedState>> ListAsync(ICollection<RowFault>? bad, CancellationToken cancellationToken = default)
    {
        var layout = await LayoutAsync(cancellationToken);
        var states = new List<LoadedState>();
        await foreach (var e in QueryStateRowsAsync(layout, null, cancellationToken))
        {
            if (layout.TryReadStateKey(e, out var key, out var reason))
            {
                states.Add(Load(key, e));
            }
            else
            {
                bad?.Add(Fault(e, [reason]));
            }
        }

        return states;
    }

    public Task<IReadOnlyList<LoadedState>> ListAsync(CancellationToken cancellationToken = default) => ListAsync(null, cancellationToken);

    /// <summary>Every state row, the few columns an overview needs (one narrow row per schedule; ledger and edit rows are not sent).</summary>
    public async IAsyncEnumerable<StateSummary> SummarizeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var layout = await LayoutAsync(cancellationToken);
        string[] columns = ["PartitionKey", "RowKey", "Job", "Status", "Error", "NextDue", "InFlightCount", "LastStatus", "LastFinishedAt", "LastError"];
        await foreach (var e in QueryStateRowsAsync(layout, columns, cancellationToken))
        {
            if (!layout.TryReadStateKey(e, out var key, out _))
            {
                continue; // not a schedule's row: the quarantine reports those
            }

            var row = new RowReader(e);
            yield return new StateSummary(key, row.Text("Job"), row.Named<ScheduleStatus>("Status"), row.Text("Error"), row.Instant("NextDue"),
                row.Int("InFlightCount", 0) ?? 0, row.Named<RunStatus>("LastStatus"), row.Instant("LastFinishedAt"), row.Text("LastError"));
        }
    }

    /// <summary>What is wrong with a state table row, for the quarantine and for tools.</summary>
    public RowFault Fault(TableEntity e, IReadOnlyList<string> faults) => new(Table.Name, e.PartitionKey, e.RowKey, string.Join("; ", faults));

    private async IAsyncEnumerable<TableEntity> QueryStateRowsAsync(StateLayout layout, string[]? select,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var filter in layout.StateRowsFilters())
        {
            await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: select, cancellationToken: cancellationToken))
            {
                yield return e;
            }
        }
    }

    private async ValueTask<string> HistoryFilterAsync(ScheduleKey key, HistoryRows rows, CancellationToken cancellationToken) =>
        (await LayoutAsync(cancellationToken)).HistoryFilter(key, rows);

    private static LoadedState Load(ScheduleKey key, TableEntity entity)
    {
        var state = StateEntity.FromEntity(entity, out var faults);
        var row = new RowReader(entity);
        var wakeAt = row.Instant("WakeAt");
        var job = row.Text("Job");
        return new(key, state, entity.ETag, wakeAt, job, [.. faults, .. row.Faults]);
    }
}
