using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Scheduler.Schedules;
using Scheduler.Sharding;

namespace Scheduler.Storage;

/// <summary>An entry of the due index: a schedule that may have work at <paramref name="WakeAt"/>; its ETag when read or written by this process (null: unknown).</summary>
internal sealed record DueEntry(DateTimeOffset WakeAt, ScheduleKey Key, string RowKey, ETag? ETag = null);

/// <summary>
/// One schedule's entries after a batch of its shard: the entry at <paramref name="From"/> replaced by one at
/// <paramref name="To"/> (none when null), and <paramref name="Stale"/> ones removed. An entry removed is removed only
/// as it was read (its ETag): one rewritten meanwhile (a schedule deleted and added again at once) stays.
/// </summary>
internal sealed record IndexMove(ScheduleKey Key, DueEntry From, DateTimeOffset? To, IReadOnlyList<DueEntry> Stale);

/// <summary>
/// The due index, in shards: a schedule's entries live in its shard's partition ("due-NN", <see cref="ShardMap"/>),
/// whose row keys are "wake ticks|schedule key", so "what is due now" is one range read per shard held that returns
/// only due rows however many schedules exist. The index is a hint, the state row is the truth: a stale entry costs one
/// read and is moved; an entry must exist at or before every schedule's wake time, so entries are written before the
/// state that needs them and removed after. Tables written before sharding kept every entry in one partition, "due":
/// <see cref="MigrateLegacyAsync"/> moves them.
/// </summary>
internal sealed class DueIndex(SchedulerTables tables, ShardStore shards, RowQuarantine quarantine)
{
    private readonly TransactionCoalescer _coalescer = new(() => tables.DueIndex);

    /// <summary>The one partition of the layout before sharding (layout version 1).</summary>
    public const string LegacyPartition = "due";

    private TableClient Table => tables.DueIndex;

    public static string ShardPartition(int shard) => $"due-{shard:D2}";

    /// <summary>The partition <paramref name="key"/>'s entries live in.</summary>
    public async ValueTask<string> PartitionAsync(ScheduleKey key, CancellationToken cancellationToken) =>
        ShardPartition(ShardMap.ShardOf(key, await shards.ShardCountAsync(cancellationToken)));

    /// <summary>The entries of <paramref name="held"/> shards due by <paramref name="now"/>, earliest first; a row that does not parse, or sits in another shard than its schedule's, goes to <paramref name="bad"/>.</summary>
    public async Task<IReadOnlyList<DueEntry>> QueryDueAsync(DateTimeOffset now, int max, IReadOnlyList<int> held, ICollection<RowFault> bad, CancellationToken cancellationToken)
    {
        var count = await shards.ShardCountAsync(cancellationToken);
        var reads = await Task.WhenAll(held.Select(shard => QueryShardAsync(shard, count, now, max, cancellationToken)));
        foreach (var fault in reads.SelectMany(r => r.Bad))
        {
            bad.Add(fault);
        }

        return [.. reads.SelectMany(r => r.Due).OrderBy(e => e.WakeAt).Take(max)];
    }

    private async Task<(List<DueEntry> Due, List<RowFault> Bad)> QueryShardAsync(int shard, int count, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var partition = ShardPartition(shard);
        var bound = StateKeys.Ticks(now.AddTicks(1));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey lt {bound}");
        var due = new List<DueEntry>();
        var bad = new List<RowFault>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (!TryParse(e.RowKey, out var entry, out var reason))
            {
                bad.Add(Fault(partition, e.RowKey, reason));
            }
            else if (ShardMap.ShardOf(entry.Key, count) != shard)
            {
                bad.Add(Fault(partition, e.RowKey, Misplaced(entry.Key, count)));
            }
            else
            {
                due.Add(entry with { ETag = e.ETag });
            }

            if (due.Count + bad.Count >= max)
            {
                break;
            }
        }

        return (due, bad);
    }

    /// <summary>The earliest wake time before <paramref name="before"/> in <paramref name="held"/> shards, or null: what a precise tick waits for. Rows that do not parse are passed over (the tick quarantines them).</summary>
    public async Task<DateTimeOffset?> PeekEarliestAsync(DateTimeOffset before, IReadOnlyList<int> held, CancellationToken cancellationToken)
    {
        var earliest = await Task.WhenAll(held.Select(shard => PeekShardAsync(ShardPartition(shard), before, cancellationToken)));
        return earliest.Min();
    }

    private async Task<DateTimeOffset?> PeekShardAsync(string partition, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey lt {StateKeys.Ticks(before)}");
        var passedOver = 0;
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: 8, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (TryParse(e.RowKey, out var entry, out _))
            {
                return entry.WakeAt;
            }

            if (++passedOver >= 100)
            {
                return DateTimeOffset.MinValue; // due now: a tick reads and quarantines them
            }
        }

        return null;
    }

    /// <summary>Every row of the table that is not the scheduler's (for doctor: also those not yet due). Entries still in the legacy partition wait for migration and are not faults.</summary>
    public async Task<IReadOnlyList<RowFault>> FindBadRowsAsync(CancellationToken cancellationToken)
    {
        var count = await shards.ShardCountAsync(cancellationToken);
        var partitions = Enumerable.Range(0, count).ToDictionary(ShardPartition, s => s, StringComparer.Ordinal);
        var bad = new List<RowFault>((await shards.ReadAsync(cancellationToken)).Faults);
        await foreach (var e in Table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            if (e.PartitionKey == ShardStore.Partition)
            {
                continue; // read above
            }

            if (e.PartitionKey != LegacyPartition && !partitions.ContainsKey(e.PartitionKey))
            {
                bad.Add(new RowFault(Table.Name, e.PartitionKey, e.RowKey, $"the due index's partitions are \"{ShardPartition(0)}\" to \"{ShardPartition(count - 1)}\" and \"{ShardStore.Partition}\"; this row is not the scheduler's"));
            }
            else if (!TryParse(e.RowKey, out var entry, out var reason))
            {
                bad.Add(Fault(e.PartitionKey, e.RowKey, reason));
            }
            else if (e.PartitionKey != LegacyPartition && ShardMap.ShardOf(entry.Key, count) != partitions[e.PartitionKey])
            {
                bad.Add(Fault(e.PartitionKey, e.RowKey, Misplaced(entry.Key, count)));
            }
        }

        return bad;
    }

    /// <summary>
    /// Sets a faulty row of this table aside: its copy to the quarantine, then removed so it is not read every tick. An
    /// entry that names a schedule but sits in another shard's partition is written home first, so no wake-up is lost;
    /// any other such row names no schedule.
    /// </summary>
    public async Task SetAsideAsync(RowFault fault, CancellationToken cancellationToken)
    {
        await quarantine.ReportAsync(fault, new TableEntity(fault.PartitionKey, fault.RowKey), cancellationToken);
        if (fault.PartitionKey != ShardStore.Partition && TryParse(fault.RowKey, out var misplaced, out _))
        {
            await UpsertAsync(misplaced.WakeAt, misplaced.Key, cancellationToken);
        }

        await Table.DeleteEntityAsync(fault.PartitionKey, fault.RowKey, ETag.All, cancellationToken);
    }

    public async Task UpsertAsync(DateTimeOffset wakeAt, ScheduleKey key, CancellationToken cancellationToken) =>
        await Table.UpsertEntityAsync(new TableEntity(await PartitionAsync(key, cancellationToken), RowKey(wakeAt, key)), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Writes many entries at once (an import, a migration): one transaction per 100 entries of a shard.</summary>
    public async Task UpsertManyAsync(IEnumerable<(DateTimeOffset WakeAt, ScheduleKey Key)> entries, CancellationToken cancellationToken)
    {
        var count = await shards.ShardCountAsync(cancellationToken);
        var rows = entries.Select(e => new TableEntity(ShardPartition(ShardMap.ShardOf(e.Key, count)), RowKey(e.WakeAt, e.Key))).DistinctBy(e => (e.PartitionKey, e.RowKey));
        foreach (var shard in rows.GroupBy(e => e.PartitionKey))
        {
            foreach (var batch in shard.Chunk(100))
            {
                await Table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);
            }
        }
    }

    public async Task DeleteAsync(DateTimeOffset wakeAt, ScheduleKey key, CancellationToken cancellationToken) =>
        await Table.DeleteEntityAsync(await PartitionAsync(key, cancellationToken), RowKey(wakeAt, key), ETag.All, cancellationToken);

    /// <summary>Replaces the entry at <paramref name="from"/> with one at <paramref name="to"/> (none when null), in one transaction when both exist.</summary>
    public async Task MoveAsync(DateTimeOffset? from, DateTimeOffset? to, ScheduleKey key, CancellationToken cancellationToken)
    {
        if (from == to)
        {
            return;
        }

        var partition = await PartitionAsync(key, cancellationToken);
        var actions = new List<TableTransactionAction>();
        if (to is { } t)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(partition, RowKey(t, key))));
        }

        if (from is { } f)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, RowKey(f, key)), ETag.All));
        }

        try
        {
            await Table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404)
        {
            // The old entry was already moved by another instance; the new one must still exist.
            if (to is { } target)
            {
                await UpsertAsync(target, key, cancellationToken);
            }
        }
    }

    /// <summary>
    /// <see cref="MoveAsync"/> in a transaction shared with the shard's other moves under way (group commit, layout 3);
    /// a move that fails there (its entry gone or rewritten) is made alone, as <see cref="MoveAsync"/> makes it.
    /// </summary>
    public async Task MoveSharedAsync(DateTimeOffset? from, DateTimeOffset? to, ScheduleKey key, CancellationToken cancellationToken)
    {
        if (from == to)
        {
            return;
        }

        if (from is { } f && (await MoveManyAsync([new IndexMove(key, new DueEntry(f, key, RowKey(f, key)), to, [])], cancellationToken))[0].Failure is null)
        {
            return;
        }

        await MoveAsync(from, to, key, cancellationToken);
    }

    /// <summary>
    /// Makes many schedules' moves (<see cref="IndexMove"/>), sharing transactions per shard. Each gets the entry it has
    /// now (with its ETag) or, when it has none left, null; or the failure of its own actions (404: an entry it removes
    /// was already gone; 412: rewritten since it was read), which moves nothing of its own and nothing of another's.
    /// </summary>
    public async Task<IReadOnlyList<(DueEntry? Entry, RequestFailedException? Failure)>> MoveManyAsync(IReadOnlyList<IndexMove> moves, CancellationToken cancellationToken)
    {
        var count = await shards.ShardCountAsync(cancellationToken);
        var parts = moves.Select(m => MoveActions(ShardPartition(ShardMap.ShardOf(m.Key, count)), m)).ToList();
        var submitted = Enumerable.Range(0, moves.Count).Where(i => parts[i].Count > 0).ToList();
        var outcomes = await _coalescer.SubmitAllAsync([.. submitted.Select(i => parts[i])]);
        var results = moves.Select(m => (Entry: (DueEntry?)m.From, Failure: (RequestFailedException?)null)).ToArray(); // nothing to move: as it is
        foreach (var (i, outcome) in submitted.Zip(outcomes))
        {
            var move = moves[i];
            results[i] = !outcome.Committed
                ? (null, outcome.Failure)
                : move.To == move.From.WakeAt ? (move.From, null) // only stale entries removed
                : (move.To is { } to ? new DueEntry(to, move.Key, RowKey(to, move.Key), outcome.Responses![0].Headers.ETag) : null, null);
        }

        return results;
    }

    private static List<TableTransactionAction> MoveActions(string partition, IndexMove move)
    {
        var actions = new List<TableTransactionAction>();
        if (move.To is { } to && to != move.From.WakeAt)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(partition, RowKey(to, move.Key))));
        }

        foreach (var gone in move.Stale.Prepend(move.From).Where(e => e.WakeAt != move.To).DistinctBy(e => e.RowKey))
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, gone.RowKey), gone.ETag ?? ETag.All));
        }

        return actions;
    }

    /// <summary>
    /// Moves entries of the layout before sharding (one "due" partition) to their shards, up to <paramref name="max"/>
    /// a call: each shard's new entries in batches first, then the old ones deleted, so a schedule always has an entry
    /// (two for a moment cost one read). Rows that do not parse go to <paramref name="bad"/>. Returns how many moved.
    /// </summary>
    public async Task<int> MigrateLegacyAsync(int max, ICollection<RowFault> bad, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {LegacyPartition}");
        var legacy = new List<DueEntry>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (TryParse(e.RowKey, out var entry, out var reason))
            {
                legacy.Add(entry);
            }
            else
            {
                bad.Add(Fault(LegacyPartition, e.RowKey, reason));
            }

            if (legacy.Count >= max)
            {
                break;
            }
        }

        await UpsertManyAsync(legacy.Select(e => (e.WakeAt, e.Key)), cancellationToken);
        foreach (var batch in legacy.Chunk(100))
        {
            try
            {
                await Table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(LegacyPartition, e.RowKey), ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 404)
            {
                // another instance migrated some of them at the same time: delete one by one
                foreach (var e in batch)
                {
                    await Table.DeleteEntityAsync(LegacyPartition, e.RowKey, ETag.All, cancellationToken);
                }
            }
        }

        return legacy.Count;
    }

    public static string RowKey(DateTimeOffset wakeAt, ScheduleKey key) => $"{StateKeys.Ticks(wakeAt)}|{key.Value}";

    private RowFault Fault(string partition, string rowKey, string reason) => new(Table.Name, partition, rowKey, reason);

    private static string Misplaced(ScheduleKey key, int count) =>
        $"the entry names {key}, whose entries live in \"{ShardPartition(ShardMap.ShardOf(key, count))}\"; here no instance looks for it (the tick writes it there and removes this one)";

    /// <summary>"ticks|group|id" with 19 digits of UTC ticks, as <see cref="RowKey"/> writes it; anything else is someone else's row.</summary>
    internal static bool TryParse(string rowKey, out DueEntry entry, out string reason)
    {
        entry = null!;
        var bar = rowKey.IndexOf('|', StringComparison.Ordinal);
        if (bar != 19 || !long.TryParse(rowKey.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            reason = "RowKey is not \"<19 digits of UTC ticks>|<group>|<id>\" as the scheduler writes it";
            return false;
        }

        if (!ScheduleKey.TryParse(rowKey[(bar + 1)..], out var key))
        {
            reason = "RowKey's schedule part is not \"<group>|<id>\"";
            return false;
        }

        entry = new DueEntry(new DateTimeOffset(ticks, TimeSpan.Zero), key, rowKey);
        reason = "";
        return true;
    }
}
