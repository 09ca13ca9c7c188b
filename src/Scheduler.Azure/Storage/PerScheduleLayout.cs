using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>Layout 2 (and 1): a partition per schedule, named by its key, holding rows "state", "run-…" and "edit-…".</summary>
internal sealed class PerScheduleLayout : StateLayout
{
    public static readonly PerScheduleLayout Instance = new();

    public override int Version => 2;

    public override string Partition(ScheduleKey key) => key.Value;

    public override string StateRow(ScheduleKey key) => StateKeys.State;

    public override string RunRow(ScheduleKey key, DateTimeOffset due, int attempt) => StateKeys.Run(due, attempt);

    public override string EditRow(ScheduleKey key, DateTimeOffset detectedAt, string instance) => StateKeys.Edit(detectedAt, instance);

    public override string HistoryFilter(ScheduleKey key, HistoryRows rows)
    {
        var prefix = rows == HistoryRows.Runs ? StateKeys.RunPrefix : StateKeys.EditPrefix;
        return TableClient.CreateQueryFilter($"PartitionKey eq {key.Value} and RowKey ge {prefix} and RowKey lt {StateKeys.After(prefix)}");
    }

    public override IReadOnlyList<string> StateRowsFilters() => [TableClient.CreateQueryFilter($"RowKey eq {StateKeys.State}")];

    public override IReadOnlyList<string> RunRowsFilters(string and) =>
        [TableClient.CreateQueryFilter($"RowKey ge {StateKeys.RunPrefix} and RowKey lt {StateKeys.After(StateKeys.RunPrefix)}") + $" and ({and})"];

    public override bool TryReadStateKey(TableEntity row, out ScheduleKey key, out string reason)
    {
        reason = ScheduleKey.TryParse(row.PartitionKey, out key) ? "" : "PartitionKey is not a schedule key (group|id)";
        return reason.Length == 0;
    }
}
