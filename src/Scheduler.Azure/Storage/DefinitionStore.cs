using Azure;
using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>The people-owned Schedules table: PartitionKey = group, RowKey = id, flat columns.</summary>
internal sealed class DefinitionStore(SchedulerTables tables)
{
    private static readonly HashSet<string> SystemColumns = new(StringComparer.Ordinal) { "PartitionKey", "RowKey", "Timestamp", "odata.etag" };

    private TableClient Table => tables.Schedules;

    public IAsyncEnumerable<TableEntity> ScanAsync(CancellationToken cancellationToken = default) =>
        Table.QueryAsync<TableEntity>(cancellationToken: cancellationToken);

    /// <summary>Every entry's keys and ETag only: what change detection needs, without the columns (Args may be 16 KiB each).</summary>
    public IAsyncEnumerable<TableEntity> ScanKeysAsync(CancellationToken cancellationToken = default) =>
        Table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken);

    public async Task<TableEntity?> GetAsync(ScheduleKey key, CancellationToken cancellationToken = default)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(key.Group, key.Id, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>
    /// Writes the whole entry (columns not given are removed), as a person saving it in a table editor would: only if
    /// it is still the version <paramref name="ifMatch"/> that was read (412 otherwise); unconditionally when null.
    /// </summary>
    public async Task<ETag> ReplaceAsync(ScheduleKey key, IReadOnlyDictionary<string, object?> columns, ETag? ifMatch = null, CancellationToken cancellationToken = default)
    {
        var entity = ToEntity(key, columns);
        var response = ifMatch is { } etag
            ? await Table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken)
            : await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        return response.Headers.ETag!.Value;
    }

    /// <summary>Writes a new entry; 409 when one exists already.</summary>
    public async Task<ETag> AddAsync(ScheduleKey key, IReadOnlyDictionary<string, object?> columns, CancellationToken cancellationToken = default)
    {
        var response = await Table.AddEntityAsync(ToEntity(key, columns), cancellationToken);
        return response.Headers.ETag!.Value;
    }

    /// <summary>
    /// Removes the entry, only if it is still the version <paramref name="ifMatch"/> (default: the one read now); false
    /// when there was none (the SDK's delete succeeds on a missing entity, so ask first). 412 when it changed.
    /// </summary>
    public async Task<bool> DeleteAsync(ScheduleKey key, ETag? ifMatch = null, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(key, cancellationToken) is not { } entity)
        {
            return false;
        }

        await Table.DeleteEntityAsync(key.Group, key.Id, ifMatch ?? entity.ETag, cancellationToken);
        return true;
    }

    private static TableEntity ToEntity(ScheduleKey key, IReadOnlyDictionary<string, object?> columns)
    {
        var entity = new TableEntity(key.Group, key.Id);
        foreach (var (name, value) in columns.Where(c => c.Value is not null))
        {
            entity[name] = value;
        }

        return entity;
    }

    public static ScheduleKey KeyOf(TableEntity entity) => new(entity.PartitionKey, entity.RowKey);

    /// <summary>The entry's own columns, without the table's system properties.</summary>
    public static Dictionary<string, object?> ColumnsOf(TableEntity entity) =>
        entity.Where(p => !SystemColumns.Contains(p.Key)).ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal);
}
