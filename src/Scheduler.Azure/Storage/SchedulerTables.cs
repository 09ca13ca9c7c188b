using Azure.Data.Tables;
using Scheduler.Hosting;

namespace Scheduler.Storage;

/// <summary>
/// The scheduler's own tables, named from options. Jobs take it from DI to keep out of them
/// (<see cref="ThrowIfReserved"/>); the clients are the scheduler's.
/// </summary>
public sealed class SchedulerTables
{
    private readonly TableNames names;

    internal SchedulerTables(TableServiceClient service, TableNames names)
    {
        this.names = names;
        Service = service;
        Schedules = service.GetTableClient(names.Prefix + names.Schedules);
        State = service.GetTableClient(names.Prefix + names.State);
        DueIndex = service.GetTableClient(names.Prefix + names.DueIndex);
        Jobs = service.GetTableClient(names.Prefix + names.Jobs);
    }

    internal TableServiceClient Service { get; }
    internal TableClient Schedules { get; }
    internal TableClient State { get; }
    internal TableClient DueIndex { get; }
    internal TableClient Jobs { get; }

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
    internal async Task CreateIfMissingAsync(CancellationToken cancellationToken = default)
    {
        foreach (var table in new[] { Schedules, State, DueIndex, Jobs })
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
    }
}
