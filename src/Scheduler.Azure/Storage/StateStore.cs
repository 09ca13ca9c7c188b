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

    /// <summary>Where the row was read: writes conditional on its ETag go there (null: the deployment's layout).</summary>
    public StateLayout? Layout { get; init; }
}

/// <summary>
/// A schedule's rows in the state table: its state row, its run ledger and its edit history, all in one partition
/// (where, <see cref="StateLayout"/> says; while tables move from layout 2 to 3, <see cref="StateLocator"/> finds which). Everything that changes a state commits in one entity-group transaction,
/// conditional on the state's ETag, together with the ledger or edit rows it implies: a claim and its ledger row land
/// together or not at all.
/// </summary>
internal sealed class StateStore(SchedulerTables tables, StateLocator locator)
{
    private readonly TransactionCoalescer _coalescer = new(() => tables.State);

    private TableClient Table => tables.State;

    /// <summary>Where new rows go in this deployment's state table.</summary>
    public async ValueTask<StateLayout> LayoutAsync(CancellationToken cancellationToken = default) => (await locator.ViewAsync(cancellationToken)).Layout;

    public async Task<LoadedState?> GetAsync(ScheduleKey key, CancellationToken cancellationToken = default) =>
        await locator.FindAsync(key, cancellationToken) is { } found ? Load(key, found.Row) with { Layout = found.Layout } : null;

    /// <summary>The state row as stored, unparsed (for the quarantine's copy).</summary>
    public async Task<TableEntity?> GetEntityAsync(ScheduleKey key, CancellationToken cancellationToken = default) =>
        (await locator.FindAsync(key, cancellationToken))?.Row;

    /// <summary>
    /// The tables' layout when it is layout 3 and not moving: where a shard's states share a partition, so they are read
    /// and committed together (<see cref="ReadManyAsync"/>, <see cref="CommitPlansAsync"/>). Null otherwise.
    /// </summary>
    public async ValueTask<ShardedLayout?> SharedPartitionsAsync(CancellationToken cancellationToken) =>
        await locator.ViewAsync(cancellationToken) is { Layout: ShardedLayout sharded, MovingFrom: null } ? sharded : null;

    /// <summary>
    /// The states of <paramref name="keys"/> (layout 3): one range query per shard they are in instead of a read each.
    /// With <paramref name="dueBy"/>, only states whose wake time has come by then (the query filters on WakeAt). A key
    /// not returned has no state, or one not due, or one that does not name its schedule or whose WakeAt does not read:
    /// the one-schedule path reads that one.
    /// </summary>
    public async Task<IReadOnlyDictionary<ScheduleKey, LoadedState>> ReadManyAsync(
        ShardedLayout layout, IReadOnlyCollection<ScheduleKey> keys, CancellationToken cancellationToken, DateTimeOffset? dueBy = null)
    {
        var found = new Dictionary<ScheduleKey, LoadedState>();
        foreach (var shard in keys.Distinct().GroupBy(layout.Partition))
        {
            var rows = shard.Select(layout.StateRow).Order(StringComparer.Ordinal).ToList();
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {shard.Key} and RowKey ge {rows[0]} and RowKey le {rows[^1]}");
            if (dueBy is { } by)
            {
                filter += " and " + TableClient.CreateQueryFilter($"WakeAt le {Iso.Format(by)}");
            }

            var wanted = shard.ToHashSet();
            var left = wanted.Count;
            await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: PageFor(wanted.Count), cancellationToken: cancellationToken))
            {
                if (layout.TryReadStateKey(e, out var key, out _) && wanted.Contains(key) && !LayoutMove.IsMarked(e))
                {
                    found[key] = Load(key, e) with { Layout = layout };
                    if (--left == 0)
                    {
                        break;
                    }
                }
            }
        }

        return found;
    }

    /// <summary>
    /// Rows a page of <see cref="ReadManyAsync"/> asks for: twice the schedules wanted (at least 16). Where the range
    /// holds little but them (schedules due at spread times; a backlog taken in due order) one page still answers; where
    /// other due states lie between them (a tick takes 5,000 of 100,000 due) pages of 1,000 full rows, about 0.5 MB
    /// each, were read to find 64 states and landed on the large-object heap: a dispatcher at 100,000 peaked about 27 MiB
    /// higher for it (docs/benchmarks.md). Such a range now takes more, smaller pages.
    /// </summary>
    internal static int PageFor(int wanted) => Math.Clamp(wanted * 2, 16, 1000);

    /// <summary><see cref="ReplaceAsync"/> with a merge into one of its ledger rows, in a transaction shared with other schedules' writes (layout 3).</summary>
    public async Task<(LoadedState? Committed, RequestFailedException? Failure)> ReplaceSharedAsync(
        ShardedLayout layout, LoadedState current, ScheduleState state, DateTimeOffset? wakeAt, DateTimeOffset now, RunRowMerge ledger)
    {
        var outcome = await _coalescer.SubmitAsync(
        [
            new TableTransactionAction(TableTransactionActionType.UpdateReplace, StateEntity.ToEntity(layout, current.Key, state, wakeAt, current.Job, now), current.ETag),
            new TableTransactionAction(TableTransactionActionType.UpsertMerge, ledger.ToEntity(layout, current.Key)),
        ]);
        return (AsCommitted(layout, current, state, wakeAt, outcome), outcome.Failure);
    }

    /// <summary>The state as a shared transaction committed it (its ETag from the part's first response, the state write), or null when the part failed.</summary>
    private static LoadedState? AsCommitted(ShardedLayout layout, LoadedState current, ScheduleState state, DateTimeOffset? wakeAt, PartOutcome outcome) =>
        outcome.Committed
            ? current with { State = state, ETag = outcome.Responses![0].Headers.ETag!.Value, WakeAt = wakeAt, Faults = [], Layout = layout }
            : null;

    /// <summary>The layout a write conditional on <paramref name="current"/> goes to.</summary>
    private async ValueTask<StateLayout> LayoutOfAsync(LoadedState current, CancellationToken cancellationToken) =>
        current.Layout ?? await LayoutAsync(cancellationToken);

    /// <summary>
    /// Submits a transaction conditional on a state read from <paramref name="layout"/>. A layout-2 state that is gone
    /// (moved to layout 3 and its old rows deleted) fails as one changed would (412): the writer reads it again.
    /// </summary>
    private async Task<Response<IReadOnlyList<Response>>> SubmitAsync(StateLayout layout, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        try
        {
            return await Table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404 && layout is PerScheduleLayout)
        {
            throw new TableTransactionFailedException(MovedAway(ex));
        }
    }

    /// <summary>A write to a layout-2 state its move deleted, as the 412 its writer handles by reading the state again.</summary>
    private static RequestFailedException MovedAway(RequestFailedException notFound) =>
        new(412, $"the state moved to layout 3; read it again ({notFound.Message})", notFound.ErrorCode, notFound);

    /// <summary>Commits a plan: the state (If-Match), a Running row per claim, the Skipped/Missed notes, and the lost-lease rows. Throws 412 when another instance got there first.</summary>
    public async Task<LoadedState> CommitPlanAsync(LoadedState current, Plan plan, DateTimeOffset? wakeAt, string instance, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var layout = await LayoutOfAsync(current, cancellationToken);
        var response = await SubmitAsync(layout, PlanActions(layout, current, plan, wakeAt, instance, now), cancellationToken);
        return current with { State = plan.State, ETag = response.Value[0].Headers.ETag!.Value, WakeAt = wakeAt, Faults = [] };
    }

    /// <summary>
    /// Commits many schedules' plans, each as <see cref="CommitPlanAsync"/> would, sharing transactions (layout 3: a
    /// shard's states share a partition). Each gets its state as committed, or the failure of its own write (412: another
    /// writer changed it first); one schedule's failure commits or fails nothing of another's.
    /// </summary>
    public async Task<IReadOnlyList<(LoadedState? Committed, PartOutcome Outcome)>> CommitPlansAsync(
        ShardedLayout layout, IReadOnlyList<(LoadedState Current, Plan Plan, DateTimeOffset? WakeAt)> plans, string instance, DateTimeOffset now)
    {
        var outcomes = await _coalescer.SubmitAllAsync([.. plans.Select(p => PlanActions(layout, p.Current, p.Plan, p.WakeAt, instance, now))]);
        return [.. plans.Zip(outcomes, (p, o) => (AsCommitted(layout, p.Current, p.Plan.State, p.WakeAt, o), o))];
    }

    private static List<TableTransactionAction> PlanActions(StateLayout layout, LoadedState current, Plan plan, DateTimeOffset? wakeAt, string instance, DateTimeOffset now)
    {
        var key = current.Key;
        var job = current.Job ?? "";
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, StateEntity.ToEntity(layout, key, plan.State, wakeAt, current.Job, now), current.ETag),
        };
        actions.AddRange(plan.Expired.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertMerge, LedgerRows.LeaseEnded(layout, key, r, now))));
        actions.AddRange(plan.Claims.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace, LedgerRows.Claimed(layout, key, job, c, instance, now))));
        actions.AddRange(plan.Notes.Select(n => new TableTransactionAction(TableTransactionActionType.UpsertReplace, LedgerRows.Note(layout, key, job, n, instance, now))));
        return actions;
    }

    /// <summary>Records a finished run: its ledger row, and (when it still holds its claim) the state it leaves, If-Match.</summary>
    public async Task<LoadedState> CommitCompletionAsync(LoadedState current, ScheduleState? state, DateTimeOffset? wakeAt, ClaimedRun run, RunOutcome outcome, string instance, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var layout = await LayoutOfAsync(current, cancellationToken);
        if (state is null)
        {
            var finished = LedgerRows.Finished(layout, current.Key, run, outcome, instance);
            await Table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.UpsertMerge, finished)], cancellationToken);
            await locator.FollowMoveAsync(current.Key, layout, finished, cancellationToken);
            return current;
        }

        var response = await SubmitAsync(layout, CompletionActions(layout, current, state, wakeAt, run, outcome, instance, now), cancellationToken);
        return current with { State = state, ETag = response.Value[0].Headers.ETag!.Value, WakeAt = wakeAt, Faults = [] };
    }

    /// <summary>
    /// <see cref="CommitCompletionAsync"/> for a run that still holds its claim, sharing a transaction with other
    /// schedules' (layout 3). The state as committed, or the failure of this schedule's own write.
    /// </summary>
    public async Task<(LoadedState? Committed, RequestFailedException? Failure)> CommitCompletionSharedAsync(
        ShardedLayout layout, LoadedState current, ScheduleState state, DateTimeOffset? wakeAt, ClaimedRun run, RunOutcome outcome, string instance, DateTimeOffset now)
    {
        var outcomeOfPart = await _coalescer.SubmitAsync(CompletionActions(layout, current, state, wakeAt, run, outcome, instance, now));
        return (AsCommitted(layout, current, state, wakeAt, outcomeOfPart), outcomeOfPart.Failure);
    }

    private static List<TableTransactionAction> CompletionActions(StateLayout layout, LoadedState current, ScheduleState state, DateTimeOffset? wakeAt, ClaimedRun run, RunOutcome outcome, string instance, DateTimeOffset now) =>
    [
        new(TableTransactionActionType.UpdateReplace, StateEntity.ToEntity(layout, current.Key, state, wakeAt, current.Job, now), current.ETag),
        new(TableTransactionActionType.UpsertMerge, LedgerRows.Finished(layout, current.Key, run, outcome, instance)),
    ];

    /// <summary>Writes a state (a manual trigger request, a started or released run), If-Match, with an optional merge into one of its ledger rows in the same transaction.</summary>
    public async Task<LoadedState> ReplaceAsync(LoadedState current, ScheduleState state, DateTimeOffset? wakeAt, DateTimeOffset now, CancellationToken cancellationToken, RunRowMerge? ledger = null)
    {
        var layout = await LayoutOfAsync(current, cancellationToken);
        var stateEntity = StateEntity.ToEntity(layout, current.Key, state, wakeAt, current.Job, now);
        if (ledger is null)
        {
            try
            {
                var response = await Table.UpdateEntityAsync(stateEntity, current.ETag, TableUpdateMode.Replace, cancellationToken);
                return current with { State = state, ETag = response.Headers.ETag!.Value, WakeAt = wakeAt, Faults = [] };
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && layout is PerScheduleLayout)
            {
                throw MovedAway(ex);
            }
        }

        var batch = await SubmitAsync(layout,
            [new TableTransactionAction(TableTransactionActionType.UpdateReplace, stateEntity, current.ETag), new TableTransactionAction(TableTransactionActionType.UpsertMerge, ledger.ToEntity(layout, current.Key))],
            cancellationToken);
        return current with { State = state, ETag = batch.Value[0].Headers.ETag!.Value, WakeAt = wakeAt, Faults = [] };
    }

    /// <summary>Applies a definition change: the state (inserted, or replaced If-Match) and its edit history row, in one transaction.</summary>
    /// <param name="dropped">Overdue occurrences the change means will not run (<see cref="DefinitionChange.Overdue"/>): their Missed row commits with the edit.</param>
    public async Task CommitEditAsync(ScheduleKey key, LoadedState? current, ScheduleState state, DateTimeOffset? wakeAt, string? job, EditEntry edit, string instance, CancellationToken cancellationToken, LedgerNote? dropped = null)
    {
        var layout = current is null ? await locator.LayoutForNewStateAsync(key, cancellationToken) : await LayoutOfAsync(current, cancellationToken);
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

        await SubmitAsync(layout, actions, cancellationToken);
    }

    public async Task<IReadOnlyList<LedgerEntry>> ReadRunsAsync(ScheduleKey key, int max = int.MaxValue, CancellationToken cancellationToken = default) =>
        await ReadHistoryAsync(key, HistoryRows.Runs, max, LedgerRows.Read, cancellationToken);

    public async Task<IReadOnlyList<EditEntry>> ReadEditsAsync(ScheduleKey key, int max = int.MaxValue, CancellationToken cancellationToken = default) =>
        await ReadHistoryAsync(key, HistoryRows.Edits, max, LedgerRows.ReadEdit, cancellationToken);

    /// <summary>A schedule's runs or edits, newest first; while tables move, from layout 3 once it holds any (a move copies them all before the state).</summary>
    private async Task<IReadOnlyList<T>> ReadHistoryAsync<T>(ScheduleKey key, HistoryRows kind, int max, Func<TableEntity, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        foreach (var layout in StateLocator.Layouts(await locator.ViewAsync(cancellationToken)))
        {
            await foreach (var e in Table.QueryAsync<TableEntity>(layout.HistoryFilter(key, kind), cancellationToken: cancellationToken))
            {
                rows.Add(read(e));
                if (rows.Count >= max)
                {
                    return rows;
                }
            }

            if (rows.Count > 0)
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
        foreach (var layout in StateLocator.Layouts(await locator.ViewAsync(cancellationToken)))
        {
            var seen = 0;
            await foreach (var e in Table.QueryAsync<TableEntity>(layout.HistoryFilter(key, rows), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
            {
                if (++seen > keep)
                {
                    stale.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(e.PartitionKey, e.RowKey), ETag.All));
                }
            }
        }

        foreach (var chunk in stale.GroupBy(a => a.Entity.PartitionKey).SelectMany(p => p.Chunk(100)))
        {
            await Table.SubmitTransactionAsync(chunk, cancellationToken);
        }

        return stale.Count;
    }

    /// <summary>Deletes every schedule's ledger rows of runs that finished before <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<int> DeleteRunsFinishedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        var finishedBefore = TableClient.CreateQueryFilter($"FinishedAt lt {Iso.Format(cutoff)}");
        var stale = new List<TableEntity>();
        foreach (var filter in StateLocator.Layouts(await locator.ViewAsync(cancellationToken)).SelectMany(l => l.RunRowsFilters(finishedBefore)))
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
        await foreach (var (e, layout) in QueryStateRowsAsync(["PartitionKey", "RowKey", "DefinitionETag", "Status"], cancellationToken))
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
        var states = new List<LoadedState>();
        await foreach (var (e, layout) in QueryStateRowsAsync(null, cancellationToken))
        {
            if (layout.TryReadStateKey(e, out var key, out var reason))
            {
                states.Add(Load(key, e) with { Layout = layout });
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
        string[] columns = ["PartitionKey", "RowKey", "Job", "Status", "Error", "NextDue", "InFlightCount", "LastStatus", "LastFinishedAt", "LastError"];
        await foreach (var (e, layout) in QueryStateRowsAsync(columns, cancellationToken))
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

    /// <summary>
    /// Every state row and the layout it is in. While tables move, layout 3's rows first, then layout 2's of schedules
    /// not met there (a state marked moved is still the schedule's until its layout-3 copy exists).
    /// </summary>
    private async IAsyncEnumerable<(TableEntity Row, StateLayout Layout)> QueryStateRowsAsync(string[]? select,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var view = await locator.ViewAsync(cancellationToken);
        var moved = view.MovingFrom is null ? null : new HashSet<ScheduleKey>();
        foreach (var layout in StateLocator.Layouts(view))
        {
            foreach (var filter in layout.StateRowsFilters())
            {
                await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: select, cancellationToken: cancellationToken))
                {
                    if (moved is not null && layout.TryReadStateKey(e, out var key, out _))
                    {
                        if (layout == view.Layout)
                        {
                            moved.Add(key);
                        }
                        else if (moved.Contains(key))
                        {
                            continue; // its layout-3 row was returned
                        }
                    }

                    yield return (e, layout);
                }
            }
        }
    }

    private static LoadedState Load(ScheduleKey key, TableEntity entity)
    {
        var state = StateEntity.FromEntity(entity, out var faults);
        var row = new RowReader(entity);
        var wakeAt = row.Instant("WakeAt");
        var job = row.Text("Job");
        return new(key, state, entity.ETag, wakeAt, job, [.. faults, .. row.Faults]);
    }
}
