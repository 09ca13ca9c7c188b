using Azure;
using Azure.Data.Tables;
using Scheduler.Sharding;

namespace Scheduler.Storage;

/// <summary>
/// Tables moving from layout 2 to 3: until <paramref name="MovesFrom"/> every process reads and writes layout 2 only
/// (so one that has not yet re-read the layout row writes where everyone else does); from then on a schedule's rows are
/// in layout 3 once moved and in layout 2 until then.
/// </summary>
internal sealed record StateMove(StateLayout From, DateTimeOffset MovesFrom, string? Migrator, DateTimeOffset MigratorUntil);

/// <summary>What a deployment's layout row says: how many shards, where the state table keeps a schedule's rows, and any move under way.</summary>
internal sealed record TablesLayout(int ShardCount, StateLayout State, StateMove? Move = null)
{
    /// <summary>The row's ETag, which a change of layout is conditional on.</summary>
    public ETag ETag { get; init; }

    public int Version => Move is null ? State.Version : Layouts.Moving;
}

/// <summary>
/// The layout row of the due index table ("shards", "layout"): its versions, what each means and how each is written.
/// 1: one due partition, before this row existed. 2: sharded due partitions ("due-NN"), a state table partition per
/// schedule. 3: the state table's rows in shard partitions too (<see cref="ShardedLayout"/>). 4: moving from 2 to 3
/// (<see cref="StateMove"/>); the row goes back to 3 when every schedule has moved.
/// </summary>
internal static class Layouts
{
    public const int Target = 3;

    /// <summary>
    /// Version 4 marks tables mid-move: a process of an older version reads a version it does not know and stops, saying
    /// a newer version wrote the tables (layout 3 readers), or finds no ShardCount (layout 2 readers), instead of
    /// writing states where the move has already taken them.
    /// </summary>
    public const int Moving = 4;

    /// <summary>Layout 3 keeps the count in a column layout 2 does not know, so a process of layout 2 refuses these tables (it stops, naming the row) instead of writing states where layout 3 does not look.</summary>
    public static string CountColumn(int version) => version >= 3 ? "Shards" : "ShardCount";

    public static TableEntity New(int version, int shards) =>
        new(ShardStore.Partition, ShardStore.LayoutRow) { ["Version"] = version, [CountColumn(version)] = shards };

    /// <summary>A move's row: announced by <paramref name="instance"/>, or held by it (moving rows) until <paramref name="holdUntil"/>.</summary>
    public static TableEntity MoveRow(int shards, DateTimeOffset movesFrom, string instance, DateTimeOffset? holdUntil = null)
    {
        var row = new TableEntity(ShardStore.Partition, ShardStore.LayoutRow) { ["Version"] = Moving, ["Shards"] = shards, ["MovesFrom"] = Iso.Format(movesFrom) };
        if (holdUntil is { } until)
        {
            row["Migrator"] = instance;
            row["MigratorUntil"] = Iso.Format(until);
        }
        else
        {
            row["StartedBy"] = instance;
        }

        return row;
    }

    public static TableEntity Moved(int shards, DateTimeOffset at, string instance) => new(ShardStore.Partition, ShardStore.LayoutRow)
    {
        ["Version"] = Target,
        ["Shards"] = shards,
        ["MovedFromLayout2At"] = Iso.Format(at),
        ["MovedBy"] = instance,
    };

    public static TablesLayout Parse(TableEntity row, string table, int configuredShards)
    {
        var reader = new RowReader(row);
        var version = reader.Int("Version", 1, int.MaxValue) ?? PerScheduleLayout.Instance.Version;
        var where = $"{table} row (PartitionKey \"{ShardStore.Partition}\", RowKey \"{ShardStore.LayoutRow}\")";
        if (version > Moving)
        {
            throw new InvalidOperationException(
                $"{where} says these tables have layout {version}, written by a newer version of the scheduler; this version reads layouts up to {Moving}. Run the newer version.");
        }

        var column = CountColumn(version);
        var count = reader.Int(column, 1, ShardMap.MaxCount);
        var movesFrom = version == Moving ? reader.Instant("MovesFrom") : null;
        var missing = count is null ? column : version == Moving && movesFrom is null ? "MovesFrom" : null;
        if (missing is not null || reader.Faults.Count > 0)
        {
            var why = reader.Faults.Count > 0 ? string.Join("; ", reader.Faults) : $"{missing} is missing";
            throw new InvalidOperationException(
                $"{where} says how this deployment's tables are laid out, and it does not read: {why}. "
                + $"Set {column} (Int32) back to the number of \"due-NN\" partitions the due index holds (new tables get {configuredShards})"
                + (version == Moving ? " and MovesFrom to an ISO instant in the past" : "") + "; until then no schedule can be placed.");
        }

        var sharded = new ShardedLayout(count!.Value);
        var layout = version switch
        {
            Moving => new TablesLayout(count.Value, sharded, new StateMove(PerScheduleLayout.Instance, movesFrom!.Value, reader.Text("Migrator"), reader.Instant("MigratorUntil") ?? DateTimeOffset.MinValue)),
            >= Target => new TablesLayout(count.Value, sharded),
            _ => new TablesLayout(count.Value, PerScheduleLayout.Instance),
        };
        return layout with { ETag = row.ETag };
    }
}
