using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Scheduler.Azure.Storage;

namespace Scheduler.Bench;

/// <summary>
/// The ceiling: ETag-conditional updates (If-Match) of 1,000 entities from this process, as fast as 32 concurrent
/// writers can go, for a fixed time. What the same Azurite sustains for the cheapest write a claim could be.
/// </summary>
public static class CeilingBench
{
    public static async Task<double> RunAsync(string connectionString, TimeSpan duration)
    {
        var table = StorageConnection.FromConnectionString(connectionString).CreateTableService(new StorageRequestCounter()).GetTableClient("ceiling" + Guid.NewGuid().ToString("N")[..8]);
        await table.CreateAsync();
        var etags = new ETag[1000];
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
                var i = n % etags.Length;
                var response = await table.UpdateEntityAsync(new TableEntity("p" + (i % 100), $"r{i}") { ["N"] = n }, etags[i], TableUpdateMode.Replace);
                etags[i] = response.Headers.ETag!.Value;
                Interlocked.Increment(ref updates);
            }
        }));
        var rate = updates / clock.Elapsed.TotalSeconds;
        await table.DeleteAsync();
        return rate;
    }
}
