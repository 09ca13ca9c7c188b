using Azure.Data.Tables;
using Scheduler.Storage;
using Scheduler.Jobs;

namespace Scheduler.App.Jobs;

/// <summary>Writes one row per occurrence (keyed by due time, so a repeated run rewrites the same row).</summary>
public sealed class HeartbeatJob(TableServiceClient tables, SchedulerTables schedulerTables) : IJob
{
    public sealed class Settings
    {
        public string Table { get; set; } = "Heartbeats";
    }

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var name = context.GetArgs<Settings>().Table;
        schedulerTables.ThrowIfReserved(name, "table");
        var table = tables.GetTableClient(name);
        await table.CreateIfNotExistsAsync(cancellationToken);
        await table.UpsertEntityAsync(new TableEntity(context.Schedule.Id, StateKeys.Ticks(context.Due))
        {
            ["Due"] = context.Due,
            ["RanAt"] = DateTimeOffset.UtcNow,
            ["Attempt"] = context.Attempt,
            ["IdempotencyKey"] = context.IdempotencyKey,
        }, TableUpdateMode.Replace, cancellationToken);
    }
}
