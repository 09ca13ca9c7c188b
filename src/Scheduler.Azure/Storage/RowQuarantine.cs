using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;

namespace Scheduler.Storage;

/// <summary>A quarantined row as recorded: where it is, what is wrong, its columns as they were, and when it was last seen.</summary>
internal sealed record QuarantineRecord(RowFault Fault, string? Original, DateTimeOffset? LastSeenAt, string? Instance);

/// <summary>
/// Rows the scheduler reads but cannot parse. Each is logged once and recorded (with a copy of its columns) in the
/// Jobs table's "quarantine" partition, where `scheduler doctor` lists it; seen again, it is reported again at most
/// every <see cref="ReportEvery"/>. Reporting never fails the caller: a tick or start-up pass goes on with the other rows.
/// </summary>
internal sealed class RowQuarantine(SchedulerTables tables, SchedulerOptions options, TimeProvider clock, ILogger<RowQuarantine> logger)
{
    public const string Partition = "quarantine";
    public static readonly TimeSpan ReportEvery = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, DateTimeOffset> _reported = new(StringComparer.Ordinal);

    /// <summary>Reports the row unless it was reported within <see cref="ReportEvery"/>; true when it was reported now.</summary>
    public async Task<bool> ReportAsync(RowFault fault, TableEntity? original, CancellationToken cancellationToken)
    {
        var id = IdOf(fault);
        var now = clock.GetUtcNow();
        lock (_reported)
        {
            if (_reported.TryGetValue(id, out var last) && now - last < ReportEvery)
            {
                return false;
            }

            _reported[id] = now;
        }

        logger.LogError("Quarantined {Fault}. Other schedules are unaffected; fix or delete the row (`scheduler doctor` lists it)", fault.ToString());
        try
        {
            await tables.Jobs.UpsertEntityAsync(new TableEntity(Partition, id)
            {
                ["Table"] = fault.Table,
                ["RowPartitionKey"] = StateEntity.Truncate(fault.PartitionKey, 1000),
                ["RowRowKey"] = StateEntity.Truncate(fault.RowKey, 1000),
                ["Reason"] = StateEntity.Truncate(fault.Reason),
                ["Original"] = original is null ? null : StateEntity.Truncate(ColumnsJson(original), 30_000),
                ["LastSeenAt"] = Iso.Format(now),
                ["Instance"] = options.InstanceId,
            }, TableUpdateMode.Replace, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Recording the quarantined row failed; it is reported again when next seen");
            lock (_reported)
            {
                _reported.Remove(id);
            }
        }

        return true;
    }

    /// <summary>Forgets a record once its row is fixed or gone (doctor's check found it parses now).</summary>
    public async Task ForgetAsync(RowFault fault, CancellationToken cancellationToken) =>
        await tables.Jobs.DeleteEntityAsync(Partition, IdOf(fault), Azure.ETag.All, cancellationToken);

    public async Task<IReadOnlyList<QuarantineRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        var records = new List<QuarantineRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        await foreach (var e in tables.Jobs.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var row = new RowReader(e);
            var fault = new RowFault(row.Text("Table") ?? "?", row.Text("RowPartitionKey") ?? "?", row.Text("RowRowKey") ?? "?", row.Text("Reason") ?? "?");
            records.Add(new QuarantineRecord(fault, row.Text("Original"), row.Instant("LastSeenAt"), row.Text("Instance")));
        }

        return records;
    }

    private static string IdOf(RowFault fault) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{fault.Table}\n{fault.PartitionKey}\n{fault.RowKey}")))[..32];

    private static string ColumnsJson(TableEntity entity) =>
        JsonSerializer.Serialize(entity.Where(p => p.Key != "odata.etag").ToDictionary(p => p.Key, p => p.Value is BinaryData b ? Convert.ToBase64String(b.ToArray()) : p.Value));
}
