using Azure;
using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>
/// Moves one schedule's rows from layout 2 (its own partition) to layout 3 (its shard's partition), safely while
/// instances dispatch it. The layout-2 state is first marked moved, conditional on its ETag: from then on every write
/// conditional on that state fails (412) and its writer reads the state again, finding it moved. Then its ledger and
/// edit rows are copied (inserted, never overwriting), the layout-3 state is inserted (the move's commit: a reader
/// that finds it uses it), and the layout-2 rows are deleted. Anyone who finds a marked state finishes the move the
/// same way, so a mover that stops half way loses nothing.
/// </summary>
internal sealed class LayoutMove(SchedulerTables tables)
{
    /// <summary>The column that marks a layout-2 state moved; its value is the layout-3 partition.</summary>
    public const string MarkColumn = "MovedToPartition";

    private TableClient Table => tables.State;

    public static bool IsMarked(TableEntity state) => state.ContainsKey(MarkColumn);

    /// <summary>
    /// Moves <paramref name="key"/>'s rows if its layout-2 state is still there; false when there was none (moved
    /// already, or never written). <paramref name="scanned"/>: its state row as a scan just read it, tried first.
    /// </summary>
    public async Task<bool> MoveAsync(ScheduleKey key, ShardedLayout to, CancellationToken cancellationToken, TableEntity? scanned = null)
    {
        while (true)
        {
            var state = scanned ?? await ReadStateAsync(key, cancellationToken);
            scanned = null;
            if (state is null)
            {
                return false;
            }

            if (!IsMarked(state))
            {
                try
                {
                    var mark = new TableEntity(state.PartitionKey, state.RowKey) { [MarkColumn] = to.Partition(key) };
                    await Table.UpdateEntityAsync(mark, state.ETag, TableUpdateMode.Merge, cancellationToken);
                    state[MarkColumn] = to.Partition(key);
                }
                catch (RequestFailedException ex) when (ex.Status is 412 or 404)
                {
                    continue; // a writer got there first: mark what it wrote
                }
            }

            await FinishAsync(key, state, to, cancellationToken);
            return true;
        }
    }

    private async Task<TableEntity?> ReadStateAsync(ScheduleKey key, CancellationToken cancellationToken)
    {
        var found = await Table.GetEntityIfExistsAsync<TableEntity>(key.Value, StateKeys.State, cancellationToken: cancellationToken);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Completes the move of a schedule whose layout-2 state <paramref name="marked"/> is marked moved (idempotent: any number of callers may).</summary>
    public async Task FinishAsync(ScheduleKey key, TableEntity marked, ShardedLayout to, CancellationToken cancellationToken)
    {
        var history = new List<TableEntity>();
        var copies = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {key.Value} and RowKey ne {StateKeys.State}");
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (to.MovedRowKey(key, row.RowKey) is { } rowKey)
            {
                history.Add(row);
                copies.Add(Copy(row, to.Partition(key), rowKey));
            }
        }

        foreach (var chunk in copies.Chunk(100))
        {
            await InsertAsync(chunk, cancellationToken);
        }

        var state = Copy(marked, to.Partition(key), to.StateRow(key));
        state.Remove(MarkColumn);
        await InsertAsync([state], cancellationToken);

        foreach (var chunk in history.Append(marked).Chunk(100))
        {
            await DeleteAsync(chunk, cancellationToken);
        }
    }

    /// <summary>Inserts rows, leaving any that exist as they are: a row another mover copied first may have changed since.</summary>
    private async Task InsertAsync(IReadOnlyList<TableEntity> rows, CancellationToken cancellationToken)
    {
        try
        {
            await Table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)), cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            foreach (var row in rows)
            {
                try
                {
                    await Table.AddEntityAsync(row, cancellationToken);
                }
                catch (RequestFailedException one) when (one.Status == 409)
                {
                    // copied already
                }
            }
        }
    }

    private async Task DeleteAsync(IReadOnlyList<TableEntity> rows, CancellationToken cancellationToken)
    {
        try
        {
            await Table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404)
        {
            foreach (var row in rows)
            {
                try
                {
                    await Table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
                }
                catch (RequestFailedException one) when (one.Status == 404)
                {
                    // deleted already
                }
            }
        }
    }

    /// <summary>A row's columns under new keys (without the service's Timestamp and ETag).</summary>
    public static TableEntity Copy(TableEntity row, string partition, string rowKey)
    {
        var copy = new TableEntity(partition, rowKey);
        foreach (var (name, value) in row)
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag"))
            {
                copy[name] = value;
            }
        }

        return copy;
    }
}
