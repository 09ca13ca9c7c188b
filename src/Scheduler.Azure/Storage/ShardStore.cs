using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Scheduler.Hosting;
using Scheduler.Sharding;

namespace Scheduler.Storage;

/// <summary>A lease row as read, with the ETag its next write is conditional on (none: the row does not exist yet).</summary>
internal sealed record StoredLease(ShardLease Lease, ETag? ETag);

/// <summary>The "shards" partition of the due index table: one layout row and one lease row per shard, read in one query.</summary>
internal sealed record ShardRows(int ShardCount, IReadOnlyList<StoredLease> Leases, IReadOnlyList<RowFault> Faults);

/// <summary>
/// The due index's layout row (how many shards this deployment's tables have, and the layout version) and the shards'
/// lease rows, in one partition of the due index table so one query reads them all and one transaction writes an
/// instance's takes and renewals. The shard count is the tables' own: set by <see cref="SchedulerOptions.Shards"/> when
/// the layout row is first written, read from the row ever after, by every process and tool.
/// </summary>
internal sealed class ShardStore(SchedulerTables tables, SchedulerOptions options) : IDisposable
{
    public const string Partition = "shards";
    public const string LayoutRow = "layout";
    /// <summary>1: one due partition ("due"), before this row existed. 2: sharded due partitions.</summary>
    public const int LayoutVersion = 2;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _shardCount;

    private TableClient Table => tables.DueIndex;

    public static string LeaseRow(int shard) => $"lease-{shard:D2}";

    /// <summary>The deployment's shard count: read once (written first, with <see cref="SchedulerOptions.Shards"/>, on new tables).</summary>
    public async ValueTask<int> ShardCountAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _shardCount) is var known and > 0)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_shardCount == 0)
            {
                _shardCount = await ReadOrCreateLayoutAsync(cancellationToken);
            }

            return _shardCount;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The layout and every lease row, in one query.</summary>
    public async Task<ShardRows> ReadAsync(CancellationToken cancellationToken)
    {
        var count = await ShardCountAsync(cancellationToken);
        var leases = new List<StoredLease>();
        var faults = new List<RowFault>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.RowKey == LayoutRow)
            {
                continue;
            }

            if (TryParseLease(row, count, out var lease, out var reason))
            {
                leases.Add(new StoredLease(lease, row.ETag));
            }
            else
            {
                faults.Add(new RowFault(Table.Name, Partition, row.RowKey, reason));
            }
        }

        return new ShardRows(count, leases, faults);
    }

    /// <summary>
    /// Takes and renews leases in one transaction, each conditional on the ETag read (created when the row did not
    /// exist): the rows' new ETags, or null when another instance wrote one of them first (nothing is written; read again).
    /// </summary>
    public async Task<IReadOnlyDictionary<int, ETag>?> WriteAsync(IEnumerable<(int Shard, ETag? ETag)> leases, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var shards = new List<int>();
        var actions = new List<TableTransactionAction>();
        foreach (var (shard, etag) in leases)
        {
            shards.Add(shard);
            actions.Add(etag is { } known
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, LeaseEntity(shard, owner, expiresAt), known)
                : new TableTransactionAction(TableTransactionActionType.Add, LeaseEntity(shard, owner, expiresAt)));
        }

        if (actions.Count == 0)
        {
            return new Dictionary<int, ETag>();
        }

        try
        {
            var response = await Table.SubmitTransactionAsync(actions, cancellationToken);
            return shards.Select((shard, i) => (shard, response.Value[i].Headers.ETag!.Value)).ToDictionary(x => x.shard, x => x.Value);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 412 or 409)
        {
            return null;
        }
    }

    /// <summary>Gives leases up (a clean shutdown), each conditional on its ETag, so a lease already taken over stays taken.</summary>
    public async Task<bool> ReleaseAsync(IEnumerable<(int Shard, ETag? ETag)> leases, CancellationToken cancellationToken) =>
        await WriteAsync(leases.Where(l => l.ETag is not null), "", DateTimeOffset.UnixEpoch, cancellationToken) is not null;

    /// <summary>The layout row of tables the scheduler wrote before sharding (none) is written with the configured count.</summary>
    private async Task<int> ReadOrCreateLayoutAsync(CancellationToken cancellationToken)
    {
        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, LayoutRow, cancellationToken: cancellationToken);
        if (!existing.HasValue)
        {
            try
            {
                await Table.AddEntityAsync(new TableEntity(Partition, LayoutRow) { ["Version"] = LayoutVersion, ["ShardCount"] = options.Shards }, cancellationToken);
                return options.Shards;
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                existing = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, LayoutRow, cancellationToken: cancellationToken);
            }
        }

        var row = existing.Value!;
        var reader = new RowReader(row);
        var count = reader.Int("ShardCount", 1, ShardMap.MaxCount);
        if (count is null || reader.Faults.Count > 0)
        {
            var why = reader.Faults.Count > 0 ? string.Join("; ", reader.Faults) : "ShardCount is missing";
            throw new InvalidOperationException(
                $"{Table.Name} row (PartitionKey \"{Partition}\", RowKey \"{LayoutRow}\") says how many shards this deployment's due index has, and it does not read: {why}. "
                + $"Set ShardCount (Int32) back to the number of \"due-NN\" partitions the table holds (new tables get {options.Shards}); until then no due entry can be placed.");
        }

        return count.Value;
    }

    private static TableEntity LeaseEntity(int shard, string owner, DateTimeOffset expiresAt) =>
        new(Partition, LeaseRow(shard)) { ["Owner"] = owner, ["ExpiresAt"] = Iso.Format(expiresAt) };

    private static bool TryParseLease(TableEntity row, int count, out ShardLease lease, out string reason)
    {
        lease = null!;
        if (!row.RowKey.StartsWith("lease-", StringComparison.Ordinal)
            || !int.TryParse(row.RowKey.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var shard)
            || shard >= count || row.RowKey != LeaseRow(shard))
        {
            reason = $"the \"{Partition}\" partition holds the layout row and lease rows \"lease-00\" to \"{LeaseRow(count - 1)}\"; this row is not the scheduler's";
            return false;
        }

        var reader = new RowReader(row);
        var owner = reader.Text("Owner") ?? "";
        var expires = reader.Instant("ExpiresAt") ?? DateTimeOffset.UnixEpoch;
        lease = new ShardLease(shard, owner, expires);
        reason = reader.Faults.Count > 0 ? string.Join("; ", reader.Faults) : "";
        return true; // a lease with unreadable columns reads as free: the next taker overwrites it
    }

    public void Dispose() => _gate.Dispose();
}
