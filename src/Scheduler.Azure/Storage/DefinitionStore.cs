using Azure;
using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Azure.Storage;

/// <summary>The people-owned Schedules table: PartitionKey = group, RowKey = id, flat columns.</summary>
public sealed class DefinitionStore(SchedulerTables tables)
{
    private static readonly HashSet<string> SystemColumns = new(StringComparer.Ordinal) { "PartitionKey", "RowKey", "Timestamp", "odata.etag" };

    private TableClient Table => tables.Schedules;

    public IAsyncEnumerable<TableEntity> ScanAsync(CancellationToken cancellationToken = default) =>
        Table.QueryAsync<TableEntity>(cancellationToken: cancellationToken);

    public async Task<TableEntity?> GetAsync(ScheduleKey key, CancellationToken cancellationToken = default)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(key.Group, key.Id, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Writes the whole entry (columns not given are removed), as a person saving it in a table editor would.</summary>
    public async Task<ETag> ReplaceAsync(ScheduleKey key, IReadOnlyDictionary<string, object?> columns, CancellationToken cancellationToken = default)
    {
        var entity = new TableEntity(key.Group, key.Id);
        foreach (var (name, value) in columns.Where(c => c.Value is not null))
        {
            entity[name] = value;
        }

        var response = await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        return response.Headers.ETag!.Value;
    }

    /// <summary>Removes the entry; false when there was none (the SDK's delete succeeds on a missing entity, so ask first).</summary>
    public async Task<bool> DeleteAsync(ScheduleKey key, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(key, cancellationToken) is not { } entity)
        {
            return false;
        }

        await Table.DeleteEntityAsync(key.Group, key.Id, entity.ETag, cancellationToken);
        return true;
    }

    public static ScheduleKey KeyOf(TableEntity entity) => new(entity.PartitionKey, entity.RowKey);

    /// <summary>The entry's own columns, without the table's system properties.</summary>
    public static Dictionary<string, object?> ColumnsOf(TableEntity entity) =>
        entity.Where(p => !SystemColumns.Contains(p.Key)).ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal);
}
