using Azure;
using Azure.Data.Tables;
using Scheduler.Jobs;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>The Jobs table: the registered job names with a description and example Args, so people editing schedules can see what is valid.</summary>
internal sealed class JobCatalogStore(SchedulerTables tables)
{
    public const string Partition = "job";
    public const string SettingsPartition = "settings";
    private const string ValidationRow = "validation";

    /// <summary>Publishes the jobs, input containers and run time limit this app accepts, so tools validate exactly as the dispatcher does.</summary>
    public async Task PublishAsync(IEnumerable<JobRegistration> registrations, ValidationContext validation, CancellationToken cancellationToken = default)
    {
        await tables.Jobs.UpsertEntityAsync(new TableEntity(SettingsPartition, ValidationRow)
        {
            ["AllowedContainers"] = string.Join(",", validation.AllowedContainers.Order(StringComparer.Ordinal)),
            ["MaxTimeoutSeconds"] = validation.MaxTimeout is { } max ? (long)max.TotalSeconds : null,
            ["MaxTimeoutReason"] = validation.MaxTimeoutReason,
        }, TableUpdateMode.Replace, cancellationToken);
        await PublishJobsAsync(registrations, cancellationToken);
    }

    /// <summary>The validation context the app published: its jobs and allowed input containers.</summary>
    public async Task<ValidationContext> ReadValidationAsync(CancellationToken cancellationToken = default)
    {
        var jobs = (await ListAsync(cancellationToken)).Select(j => j.Name).ToHashSet(StringComparer.Ordinal);
        var settings = await tables.Jobs.GetEntityIfExistsAsync<TableEntity>(SettingsPartition, ValidationRow, cancellationToken: cancellationToken);
        // Read defensively: a column someone retyped reads as unset (the app rewrites the row at its next start).
        var row = settings.HasValue ? new RowReader(settings.Value!) : null;
        var containers = row?.Text("AllowedContainers") ?? "";
        var maxSeconds = row?.Long("MaxTimeoutSeconds", 1, (long)TimeSpan.MaxValue.TotalSeconds);
        return new ValidationContext(
            jobs,
            containers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal),
            maxSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            row?.Text("MaxTimeoutReason"));
    }

    private async Task PublishJobsAsync(IEnumerable<JobRegistration> registrations, CancellationToken cancellationToken)
    {
        var current = registrations.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var actions = current.Values.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(Partition, r.Name)
        {
            ["Description"] = r.Description,
            ["ExampleArgs"] = r.ExampleArgs,
            ["Handler"] = r.HandlerType.FullName,
        })).ToList();

        await foreach (var row in tables.Jobs.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (!current.ContainsKey(row.RowKey))
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, row.RowKey), ETag.All));
            }
        }

        foreach (var chunk in actions.Chunk(100))
        {
            await tables.Jobs.SubmitTransactionAsync(chunk, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<(string Name, string? Description, string? ExampleArgs)>> ListAsync(CancellationToken cancellationToken = default)
    {
        var jobs = new List<(string, string?, string?)>();
        await foreach (var row in tables.Jobs.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            var columns = new RowReader(row);
            jobs.Add((row.RowKey, columns.Text("Description"), columns.Text("ExampleArgs")));
        }

        return jobs;
    }
}
