using Azure.Data.Tables;
using Scheduler.Schedules;
using Scheduler.Sharding;

namespace Scheduler.Storage;

/// <summary>
/// Layout 3: a schedule's rows live in its shard's partition ("shard-NN", <see cref="ShardMap"/>), keyed by kind first
/// and the schedule second: "state|group|id", "run|group|id|reverse due-attempt", "edit|group|id|reverse time-instance".
/// A shard's states are one range, a schedule's runs or edits another, and every RowKey is the schedule's own (on
/// Azurite, whose lookups go by RowKey first, a state read no longer scans every schedule's "state" row). The id is
/// escaped ('%' and '|') so a key's rows never share a prefix with another key's.
/// </summary>
internal sealed class ShardedLayout(int shardCount) : StateLayout
{
    private const string StateKind = "state|";
    private const string RunKind = "run|";
    private const string EditKind = "edit|";

    public override int Version => 3;

    public static string ShardPartition(int shard) => $"shard-{shard:D2}";

    public override string Partition(ScheduleKey key) => ShardPartition(ShardMap.ShardOf(key, shardCount));

    public override string StateRow(ScheduleKey key) => StateKind + Name(key);

    public override string RunRow(ScheduleKey key, DateTimeOffset due, int attempt) => $"{RunKind}{Name(key)}|{StateKeys.RunSuffix(due, attempt)}";

    public override string EditRow(ScheduleKey key, DateTimeOffset detectedAt, string instance) => $"{EditKind}{Name(key)}|{StateKeys.EditSuffix(detectedAt, instance)}";

    /// <summary>Where a layout-2 history row ("run-…", "edit-…") of <paramref name="key"/> goes in this layout; null for a row layout 2 did not write.</summary>
    public string? MovedRowKey(ScheduleKey key, string layoutTwoRowKey) => layoutTwoRowKey switch
    {
        _ when layoutTwoRowKey.StartsWith(StateKeys.RunPrefix, StringComparison.Ordinal) => $"{RunKind}{Name(key)}|{layoutTwoRowKey[StateKeys.RunPrefix.Length..]}",
        _ when layoutTwoRowKey.StartsWith(StateKeys.EditPrefix, StringComparison.Ordinal) => $"{EditKind}{Name(key)}|{layoutTwoRowKey[StateKeys.EditPrefix.Length..]}",
        _ => null,
    };

    public override string HistoryFilter(ScheduleKey key, HistoryRows rows)
    {
        var prefix = $"{(rows == HistoryRows.Runs ? RunKind : EditKind)}{Name(key)}|";
        return TableClient.CreateQueryFilter($"PartitionKey eq {Partition(key)} and RowKey ge {prefix} and RowKey lt {StateKeys.After(prefix)}");
    }

    public override IReadOnlyList<string> StateRowsFilters() => [.. Shards(StateKind, null)];

    public override IReadOnlyList<string> RunRowsFilters(string and) => [.. Shards(RunKind, and)];

    public override bool TryReadStateKey(TableEntity row, out ScheduleKey key, out string reason)
    {
        key = default;
        var name = row.RowKey.StartsWith(StateKind, StringComparison.Ordinal) ? row.RowKey[StateKind.Length..] : "";
        var unescaped = ScheduleKey.TryParse(name, out var parsed) ? Unescape(parsed) : default;
        if (unescaped == default || Name(unescaped) != name)
        {
            reason = "RowKey is not a schedule key's state row, \"state|group|id\" (the id with '%' and '|' escaped as %25 and %7C)";
            return false;
        }

        if (Partition(unescaped) != row.PartitionKey)
        {
            reason = $"the state of {unescaped.Value} belongs in partition \"{Partition(unescaped)}\" of {shardCount} shards, not here";
            return false;
        }

        key = unescaped;
        reason = "";
        return true;
    }

    /// <summary>The key as its rows name it: "group|id", the id escaped so no '|' follows the group's.</summary>
    private static string Name(ScheduleKey key) => $"{key.Group}|{key.Id.Replace("%", "%25", StringComparison.Ordinal).Replace("|", "%7C", StringComparison.Ordinal)}";

    /// <summary>The inverse of <see cref="Name"/> for what it writes; a name it did not write fails the round trip.</summary>
    private static ScheduleKey Unescape(ScheduleKey named) => named with { Id = Uri.UnescapeDataString(named.Id) };

    private IEnumerable<string> Shards(string kind, string? and) => Enumerable.Range(0, shardCount).Select(shard =>
        TableClient.CreateQueryFilter($"PartitionKey eq {ShardPartition(shard)} and RowKey ge {kind} and RowKey lt {StateKeys.After(kind)}")
        + (and is null ? "" : $" and ({and})"));
}
