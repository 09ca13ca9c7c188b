using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Scheduler.Hosting;
using Scheduler.Sharding;

namespace Scheduler.Storage;

/// <summary>
/// A lease row as read, with the ETag its next write is conditional on (none: the row does not exist yet), and the
/// newest layout its holder reads (0: a version from before leases said so, which cannot follow a layout move).
/// </summary>
internal sealed record StoredLease(ShardLease Lease, ETag? ETag, int Reads = 0);

/// <summary>The "shards" partition of the due index table: one layout row and one lease row per shard, read in one query.</summary>
internal sealed record ShardRows(int ShardCount, IReadOnlyList<StoredLease> Leases, IReadOnlyList<RowFault> Faults);

/// <summary>
/// The due index's layout row (how many shards this deployment's tables have, and the layout version) and the shards'
/// lease rows, in one partition of the due index table so one query reads them all and one transaction writes an
/// instance's takes and renewals. The shard count is the tables' own: set by <see cref="SchedulerOptions.Shards"/> when
/// the layout row is first written, read from the row ever after, by every process and tool. The row is read once on
/// layout 3, and again every <see cref="LayoutRereadEvery"/> while the tables may still move from layout 2.
/// </summary>
internal sealed class ShardStore(SchedulerTables tables, SchedulerOptions options, TimeProvider clock) : IDisposable
{
    public const string Partition = "shards";
    public const string LayoutRow = "layout";

    /// <summary>
    /// How long a process goes on with the layout row it read while the row may still change (layouts 2 and 4): a
    /// quarter of <see cref="SchedulerOptions.LayoutMoveNotice"/>, so every process has seen a move's announcement
    /// before rows move (<see cref="LayoutMigration"/>). Layout 3 is final and read once.
    /// </summary>
    public TimeSpan LayoutRereadEvery { get; } = options.LayoutMoveNotice / 4;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile LayoutRead? _layout;

    private TableClient Table => tables.DueIndex;

    public static string LeaseRow(int shard) => $"lease-{shard:D2}";

    /// <summary>The deployment's shard count: read once (written first, with <see cref="SchedulerOptions.Shards"/>, on new tables).</summary>
    public async ValueTask<int> ShardCountAsync(CancellationToken cancellationToken) => (await LayoutAsync(cancellationToken)).ShardCount;

    /// <summary>The layout row as last read: read again when it may have changed (a move of layout 2 tables) and the read is older than <see cref="LayoutRereadEvery"/>.</summary>
    public async ValueTask<TablesLayout> LayoutAsync(CancellationToken cancellationToken)
    {
        if (_layout is { } known && (known.Layout.Version == Layouts.Target || clock.GetUtcNow() - known.ReadAt < LayoutRereadEvery))
        {
            return known.Layout;
        }

        return await RereadLayoutAsync(known: _layout?.Layout, cancellationToken);
    }

    /// <summary>
    /// Reads the layout row again now (a process that finds a schedule's layout-2 rows moved, or gone, learns why at
    /// once), unless another caller read it since <paramref name="known"/> (null: read it, whatever is known).
    /// </summary>
    public async ValueTask<TablesLayout> RereadLayoutAsync(TablesLayout? known, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (known is not null && _layout is { } current && !ReferenceEquals(current.Layout, known))
            {
                return current.Layout; // another caller read it meanwhile
            }

            var readAt = clock.GetUtcNow();
            var layout = await ReadOrCreateLayoutAsync(cancellationToken);
            _layout = new LayoutRead(layout, readAt);
            return layout;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Replaces the layout row, conditional on the ETag of <paramref name="known"/>: the layout written, or null when another process changed the row first.</summary>
    public async Task<TablesLayout?> ReplaceLayoutAsync(TablesLayout known, TableEntity row, CancellationToken cancellationToken)
    {
        try
        {
            var readAt = clock.GetUtcNow();
            var response = await Table.UpdateEntityAsync(row, known.ETag, TableUpdateMode.Replace, cancellationToken);
            row.ETag = response.Headers.ETag!.Value;
            var layout = Layouts.Parse(row, Table.Name, options.Shards);
            await _gate.WaitAsync(cancellationToken);
            try
            {
                _layout = new LayoutRead(layout, readAt);
            }
            finally
            {
                _gate.Release();
            }

            return layout;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
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
                leases.Add(new StoredLease(lease, row.ETag, new RowReader(row).Int("Reads") ?? 0));
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
            var version = await HoldsStatesAsync(cancellationToken) ? PerScheduleLayout.Instance.Version : Layouts.Target;
            var row = Layouts.New(version, options.Shards);
            try
            {
                row.ETag = (await Table.AddEntityAsync(row, cancellationToken)).Headers.ETag!.Value;
                return Layouts.Parse(row, Table.Name, options.Shards);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                existing = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, LayoutRow, cancellationToken: cancellationToken);
            }
        }

        return Layouts.Parse(existing.Value!, Table.Name, options.Shards);
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
        new(Partition, LeaseRow(shard)) { ["Owner"] = owner, ["ExpiresAt"] = Iso.Format(expiresAt), ["Reads"] = Layouts.Moving };

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

    private sealed record LayoutRead(TablesLayout Layout, DateTimeOffset ReadAt);
}
