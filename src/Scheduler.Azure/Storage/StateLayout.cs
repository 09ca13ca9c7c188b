using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>The kinds of row a schedule has in the state table besides its state row.</summary>
internal enum HistoryRows
{
    /// <summary>The run ledger: a row per occurrence attempt, newest first.</summary>
    Runs,

    /// <summary>The edit history: a row per definition change applied, newest first.</summary>
    Edits,
}

/// <summary>
/// Where a schedule's rows live in the state table: the one place that knows its PartitionKeys and RowKeys. Which
/// layout a deployment's tables have is its layout row's (<see cref="ShardStore"/>), never one process's choice.
/// </summary>
internal abstract class StateLayout
{
    public abstract int Version { get; }

    public abstract string Partition(ScheduleKey key);

    public abstract string StateRow(ScheduleKey key);

    public abstract string RunRow(ScheduleKey key, DateTimeOffset due, int attempt);

    public abstract string EditRow(ScheduleKey key, DateTimeOffset detectedAt, string instance);

    /// <summary>A query for one schedule's runs or edits, newest first.</summary>
    public abstract string HistoryFilter(ScheduleKey key, HistoryRows rows);

    /// <summary>Queries that together return every state row (and nothing else), one per partition range.</summary>
    public abstract IReadOnlyList<string> StateRowsFilters();

    /// <summary>Queries that together return every run ledger row, narrowed by <paramref name="and"/> (a filter on columns).</summary>
    public abstract IReadOnlyList<string> RunRowsFilters(string and);

    /// <summary>The schedule a row returned by <see cref="StateRowsFilters"/> is the state of, or why it names none.</summary>
    public abstract bool TryReadStateKey(TableEntity row, out ScheduleKey key, out string reason);

    public TableEntity StateEntity(ScheduleKey key) => new(Partition(key), StateRow(key));

    public TableEntity RunEntity(ScheduleKey key, DateTimeOffset due, int attempt) => new(Partition(key), RunRow(key, due, attempt));
}
