using Azure.Data.Tables;
using Scheduler.Azure.Hosting;

namespace Scheduler.Azure.Storage;

/// <summary>The scheduler's table clients, named from options.</summary>
public sealed class SchedulerTables(TableServiceClient service, TableNames names)
{
    public TableServiceClient Service { get; } = service;
    public TableClient Schedules { get; } = service.GetTableClient(names.Prefix + names.Schedules);
    public TableClient State { get; } = service.GetTableClient(names.Prefix + names.State);
    public TableClient DueIndex { get; } = service.GetTableClient(names.Prefix + names.DueIndex);
    public TableClient Jobs { get; } = service.GetTableClient(names.Prefix + names.Jobs);

    /// <summary>Creates any table that does not exist yet.</summary>
    public async Task CreateIfMissingAsync(CancellationToken cancellationToken = default)
    {
        foreach (var table in new[] { Schedules, State, DueIndex, Jobs })
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
    }
}
