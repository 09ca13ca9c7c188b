using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Scheduler.Hosting;
using Scheduler.Sharding;

namespace Scheduler.Storage;

/// <summary>A lease row as read, with the ETag its next write is conditional on (none: the row does not exist yet).</summary>
internal sealed record StoredLease(ShardLease Lease, ETag? ETag);

/// <summary>What a deployment's layout row says: how many shards, and where the state table keeps a schedule's rows.</summary>
internal sealed record TablesLayout(int ShardCount, StateLayout State);

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
    /// <summary>
    /// 1: one due partition ("due"), before this row existed. 2: sharded due partitions ("due-NN"), a state table
    /// partition per schedule. 3: the state table's rows in shard partitions too (<see cref="ShardedLayout"/>).
    /// </summary>
    public const int LayoutVersion = 3;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private TablesLayout? _layout;

    private TableClient Table => tables.DueIndex;

    public static string LeaseRow(int shard) => $"lease-{shard:D2}";

    /// <summary>The deployment's shard count: read once (written first, with <see cref="SchedulerOptions.Shards"/>, on new tables).</summary>
    public async ValueTask<int> ShardCountAsync(CancellationToken cancellationToken) => (await LayoutAsync(cancellationToken)).ShardCount;

    /// <summary>Where the state table keeps a schedule's rows, by the layout row's version.</summary>
    public async ValueTask<StateLayout> StateLayoutAsync(CancellationToken cancellationToken) => (await LayoutAsync(cancellationToken)).State;

    private async ValueTask<TablesLayout> LayoutAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _layout) is { } known)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _layout ??= await ReadOrCreateLayoutAsync(cancellationToken);
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

    /// <summary>
    /// The layout row, written when missing: layout 3 on new tables, 2 on tables that already hold states (a deployment
    /// from before the row existed, whose states are in layout 2), with the configured shard count either way.
    /// </summary>
    private async Task<TablesLayout> ReadOrCreateLayoutAsync(CancellationToken cancellationToken)
    {
        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, LayoutRow, cancellationToken: cancellationToken);
        if (!existing.HasValue)
        {
            var version = await HoldsStatesAsync(cancellationToken) ? PerScheduleLayout.Instance.Version : LayoutVersion;
            var row = new TableEntity(Partition, LayoutRow) { ["Version"] = version, [CountColumn(version)] = options.Shards };
            try
            {
                await Table.AddEntityAsync(row, cancellationToken);
                return Parse(row);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                existing = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, LayoutRow, cancellationToken: cancellationToken);
            }
        }

        return Parse(existing.Value!);
    }

    /// <summary>Layout 3 keeps the count in a column layout 2 does not know, so a process of layout 2 refuses these tables (it stops, naming the row) instead of writing states where layout 3 does not look.</summary>
    private static string CountColumn(int version) => version >= 3 ? "Shards" : "ShardCount";

    private TablesLayout Parse(TableEntity row)
    {
        var reader = new RowReader(row);
        var version = reader.Int("Version", 1, int.MaxValue) ?? PerScheduleLayout.Instance.Version;
        var where = $"{Table.Name} row (PartitionKey \"{Partition}\", RowKey \"{LayoutRow}\")";
        if (version > LayoutVersion)
        {
            throw new InvalidOperationException(
                $"{where} says these tables have layout {version}, written by a newer version of the scheduler; this version reads layouts up to {LayoutVersion}. Run the newer version.");
        }

        var column = CountColumn(version);
        var count = reader.Int(column, 1, ShardMap.MaxCount);
        if (count is null || reader.Faults.Count > 0)
        {
            var why = reader.Faults.Count > 0 ? string.Join("; ", reader.Faults) : $"{column} is missing";
            throw new InvalidOperationException(
                $"{where} says how many shards this deployment's tables have, and it does not read: {why}. "
                + $"Set {column} (Int32) back to the number of \"due-NN\" partitions the due index holds (new tables get {options.Shards}); until then no schedule can be placed.");
        }

        return new TablesLayout(count.Value, version >= 3 ? new ShardedLayout(count.Value) : PerScheduleLayout.Instance);
    }

    private async Task<bool> HoldsStatesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var page in tables.State.QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken).AsPages())
            {
                return page.Values.Count > 0 || page.ContinuationToken is not null;
            }

            return false;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false; // no state table yet: new tables
        }
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
