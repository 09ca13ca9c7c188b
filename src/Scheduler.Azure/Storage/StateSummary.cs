using Azure.Data.Tables;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>What an overview needs of one state row; a column that does not read is left empty.</summary>
public sealed record StateSummary(
    ScheduleKey Key,
    string? Job,
    ScheduleStatus? Status,
    string? Error,
    DateTimeOffset? NextDue,
    int InFlight,
    RunStatus? LastStatus,
    DateTimeOffset? LastFinishedAt,
    string? LastError)
{
    private static readonly string[] Columns = ["PartitionKey", "Job", "Status", "Error", "NextDue", "InFlightCount", "LastStatus", "LastFinishedAt", "LastError"];

    /// <summary>Every state row, a few columns each (one row per schedule; ledger and edit rows are not sent).</summary>
    public static async IAsyncEnumerable<StateSummary> ReadAllAsync(
        SchedulerTables tables, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"RowKey eq {StateKeys.State}");
        await foreach (var e in tables.State.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: Columns, cancellationToken: cancellationToken))
        {
            if (!ScheduleKey.TryParse(e.PartitionKey, out var key))
            {
                continue; // not a schedule's row: the quarantine reports those
            }

            var row = new RowReader(e);
            yield return new StateSummary(key, row.Text("Job"), row.Named<ScheduleStatus>("Status"), row.Text("Error"), row.Instant("NextDue"),
                row.Int("InFlightCount", 0) ?? 0, row.Named<RunStatus>("LastStatus"), row.Instant("LastFinishedAt"), row.Text("LastError"));
        }
    }
}
