using Azure.Data.Tables;
using Scheduler.Hosting;

namespace Scheduler.Storage;

/// <summary>The scheduler's table clients, named from options.</summary>
public sealed class SchedulerTables(TableServiceClient service, TableNames names)
{
    public TableServiceClient Service { get; } = service;
    public TableClient Schedules { get; } = service.GetTableClient(names.Prefix + names.Schedules);
    public TableClient State { get; } = service.GetTableClient(names.Prefix + names.State);
    public TableClient DueIndex { get; } = service.GetTableClient(names.Prefix + names.DueIndex);
    public TableClient Jobs { get; } = service.GetTableClient(names.Prefix + names.Jobs);

    /// <summary>
    /// True for the scheduler's own tables and, with a prefix, every table under it (table names ignore case). A job
    /// that writes to a table named in its Args must refuse these: a schedule must not be able to forge due index
    /// entries, state or ledger rows.
    /// </summary>
    public bool IsReserved(string tableName) =>
        (names.Prefix.Length > 0 && tableName.StartsWith(names.Prefix, StringComparison.OrdinalIgnoreCase))
        || new[] { Schedules, State, DueIndex, Jobs }.Any(t => string.Equals(t.Name, tableName, StringComparison.OrdinalIgnoreCase));

    /// <summary>Throws a message a schedule's author can act on when <paramref name="tableName"/> is <see cref="IsReserved"/>.</summary>
    public void ThrowIfReserved(string tableName, string argument)
    {
        if (IsReserved(tableName))
        {
            throw new ArgumentException($"Args.{argument} \"{tableName}\" is one of the scheduler's own tables{(names.Prefix.Length > 0 ? $" (or under its prefix \"{names.Prefix}\")" : "")}; jobs may not write there. Name another table.");
        }
    }

    /// <summary>Creates any table that does not exist yet.</summary>
    public async Task CreateIfMissingAsync(CancellationToken cancellationToken = default)
    {
        foreach (var table in new[] { Schedules, State, DueIndex, Jobs })
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
    }
}
