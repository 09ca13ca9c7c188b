using Azure;
using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>
/// Where states are now: the layout new rows go to, and, while tables move from layout 2 to 3, the layout a schedule
/// not yet moved is still in (<see cref="StateMove"/>).
/// </summary>
internal sealed record StateView(StateLayout Layout, StateLayout? MovingFrom, TablesLayout Tables);

/// <summary>
/// Where a schedule's state row is now: the deployment's layout, and while tables move from layout 2 to 3
/// (<see cref="LayoutMigration"/>), layout 3 once the schedule has moved and layout 2 until then. A move found half
/// done is finished (<see cref="LayoutMove"/>) before its state is returned.
/// </summary>
internal sealed class StateLocator(SchedulerTables tables, ShardStore shards, LayoutMove move, TimeProvider clock)
{
    private TableClient Table => tables.State;

    /// <summary>Where states are now, by the layout row as last read.</summary>
    public async ValueTask<StateView> ViewAsync(CancellationToken cancellationToken) => View(await shards.LayoutAsync(cancellationToken));

    /// <summary>
    /// A schedule's state row and where it is. In layout 2, a row marked moved or missing may mean tables started moving
    /// to layout 3 since this process last read the layout row: it reads the row again and looks where that says.
    /// </summary>
    public async Task<(TableEntity Row, StateLayout Layout)?> FindAsync(ScheduleKey key, CancellationToken cancellationToken)
    {
        var view = await ViewAsync(cancellationToken);
        if (view.MovingFrom is { } from)
        {
            return await FindMovingAsync(key, (ShardedLayout)view.Layout, from, cancellationToken);
        }

        var row = await ReadStateAsync(view.Layout, key, cancellationToken);
        if (view.Layout is ShardedLayout || (row is not null && !LayoutMove.IsMarked(row)))
        {
            return row is null ? null : (row, view.Layout);
        }

        var tables = await shards.RereadLayoutAsync(view.Tables, cancellationToken);
        return tables switch
        {
            { Move: { } moving } => await FindMovingAsync(key, (ShardedLayout)tables.State, moving.From, cancellationToken),
            { State: ShardedLayout sharded } => await ReadStateAsync(sharded, key, cancellationToken) is { } moved ? (moved, sharded) : null,
            _ => row is null ? null : (row, view.Layout),
        };
    }

    /// <summary>During a move: the layout-3 row once the schedule moved, the layout-2 row until then; a move found half done is finished first.</summary>
    private async Task<(TableEntity Row, StateLayout Layout)?> FindMovingAsync(ScheduleKey key, ShardedLayout to, StateLayout from, CancellationToken cancellationToken)
    {
        if (await ReadStateAsync(to, key, cancellationToken) is { } moved)
        {
            return (moved, to);
        }

        var old = await ReadStateAsync(from, key, cancellationToken);
        if (old is not null && !LayoutMove.IsMarked(old))
        {
            return (old, from);
        }

        if (old is not null)
        {
            await move.FinishAsync(key, old, to, cancellationToken);
        }

        // moved (by whoever) between the two reads, or just now
        return await ReadStateAsync(to, key, cancellationToken) is { } now ? (now, to) : null;
    }

    private async Task<TableEntity?> ReadStateAsync(StateLayout layout, ScheduleKey key, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(layout.Partition(key), layout.StateRow(key), cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Before a move's <see cref="StateMove.MovesFrom"/>, every process acts on layout 2, whichever layout row it last read.</summary>
    private StateView View(TablesLayout tables) => tables.Move is { } moving
        ? clock.GetUtcNow() < moving.MovesFrom ? new StateView(moving.From, null, tables) : new StateView(tables.State, moving.From, tables)
        : new StateView(tables.State, null, tables);

    /// <summary>
    /// Where a new state goes: the deployment's layout; while tables move, layout 3, unless the schedule has a layout-2
    /// state after all, which fails the insert as an existing layout-3 state would (409): the caller reads it and applies to it.
    /// </summary>
    public async Task<StateLayout> LayoutForNewStateAsync(ScheduleKey key, CancellationToken cancellationToken)
    {
        var view = await ViewAsync(cancellationToken);
        if (view.MovingFrom is { } from && await ReadStateAsync(from, key, cancellationToken) is not null)
        {
            throw new TableTransactionFailedException(new RequestFailedException(409, $"{key.Value} has a state in layout 2 still: read it again", "EntityAlreadyExists", null));
        }

        return view.Layout;
    }

    /// <summary>
    /// After a write that is not conditional on the state (a run's end recorded when its claim is gone) to a layout-2
    /// row: if the schedule has moved meanwhile, or is moving, the write may have missed the copy, so it is made again
    /// where the schedule is now, and the layout-2 copy left behind is deleted.
    /// </summary>
    public async Task FollowMoveAsync(ScheduleKey key, StateLayout written, TableEntity row, CancellationToken cancellationToken)
    {
        if (written is not PerScheduleLayout || await ReadStateAsync(written, key, cancellationToken) is { } state && !LayoutMove.IsMarked(state))
        {
            return;
        }

        if (await FindAsync(key, cancellationToken) is not { Layout: ShardedLayout to })
        {
            return; // still layout 2 (the state was deleted) or no state at all: the row stays where it is
        }

        await Table.UpsertEntityAsync(LayoutMove.Copy(row, to.Partition(key), to.MovedRowKey(key, row.RowKey)!), TableUpdateMode.Merge, cancellationToken);
        try
        {
            await Table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // the move deleted it
        }
    }

    /// <summary>The layouts a schedule's rows may be in now, where they are once moved first.</summary>
    public static IEnumerable<StateLayout> Layouts(StateView view) => view.MovingFrom is { } from ? [view.Layout, from] : [view.Layout];
}
