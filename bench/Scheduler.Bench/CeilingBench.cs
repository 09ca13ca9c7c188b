using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Scheduler.Storage;

namespace Scheduler.Bench;

/// <summary>
/// The ceiling: ETag-conditional updates (If-Match) of 1,024 entities from this process, as fast as 32 concurrent
/// writers can go, for a fixed time. What the same Azurite sustains for the cheapest write a claim could be. With
/// <c>transactions</c>, each update is sent as a one-entity entity-group transaction instead, which is how claims,
/// completions and index moves are written (Azurite runs transactions one at a time, so this ceiling is lower).
/// </summary>
public static class CeilingBench
{
    public static async Task<double> RunAsync(string connectionString, TimeSpan duration, bool transactions = false)
    {
        var table = StorageConnection.FromConnectionString(connectionString).CreateTableService(new StorageRequestCounter()).GetTableClient("ceiling" + Guid.NewGuid().ToString("N")[..8]);
        await table.CreateAsync();
        var etags = new ETag[1024];
        for (var i = 0; i < etags.Length; i++)
        {
            etags[i] = (await table.UpsertEntityAsync(new TableEntity("p" + (i % 100), $"r{i}") { ["N"] = 0 })).Headers.ETag!.Value;
        }

        var updates = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async worker =>
        {
            for (var n = worker; clock.Elapsed < duration; n += 32)
            {
                var i = n % etags.Length; // 1,024 = 32 x 32: each writer owns the entities congruent to it, so none conflict
                var entity = new TableEntity("p" + (i % 100), $"r{i}") { ["N"] = n };
                etags[i] = transactions
                    ? (await table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, etags[i])])).Value[0].Headers.ETag!.Value
                    : (await table.UpdateEntityAsync(entity, etags[i], TableUpdateMode.Replace)).Headers.ETag!.Value;
                Interlocked.Increment(ref updates);
            }
        }));
        var rate = updates / clock.Elapsed.TotalSeconds;
        await table.DeleteAsync();
        return rate;
    }
}
