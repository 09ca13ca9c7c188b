using Azure.Data.Tables;
using Scheduler.Storage;
using Scheduler.Schedules;

namespace Scheduler.Bench;

/// <summary>
/// Storage requests of an idle tick over N schedules without ingesting N entries first (at 100,000 that alone takes
/// Azurite most of an hour): the Schedules table and the due index are bulk-written as the reconciler would leave
/// them (every schedule's next wake a year away), then a tick after the first (whose leases lapsed since) reads the
/// index, and one pass reads the table for edits.
/// </summary>
public static class IdleBench
{
    public static async Task<(long IdleTick, long EditScan)> RunAsync(string connectionString, int schedules)
    {
        var prefix = "i" + Guid.NewGuid().ToString("N")[..8];
        await using var instance = new Instance(connectionString, prefix, "idle", o => o.ReconcileInterval = TimeSpan.FromDays(1));
        await instance.InitializeAsync();
        await Seeding.WriteAsync(instance.Tables.Schedules, schedules, _ => new() { [ScheduleColumns.Job] = "noop", [ScheduleColumns.Cron] = "0 0 1 1 *" });
        var wake = DateTimeOffset.UtcNow.AddYears(1);
        var entries = new List<TableEntity>();
        foreach (var i in Enumerable.Range(0, schedules))
        {
            var key = new ScheduleKey($"g{i / 100:D4}", $"s{i:D6}");
            entries.Add(new TableEntity(await instance.Index.PartitionAsync(key, default), DueIndex.RowKey(wake, key)));
        }

        var batches = entries.GroupBy(e => e.PartitionKey).SelectMany(shard => shard.Chunk(100));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await instance.Tables.DueIndex.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct));

        // A process's first tick takes the shards' leases; the one measured comes after they lapsed, as a tick a minute
        // after the last finds them.
        await instance.Dispatcher.TickAsync(reconcile: false);
        await Task.Delay(instance.Options.ShardLeaseDuration + TimeSpan.FromSeconds(1));
        var before = instance.Requests.Total;
        if ((await instance.Dispatcher.TickAsync(reconcile: false)).DueEntries > 0)
        {
            throw new InvalidOperationException("the idle tick found due entries: the bulk-written index is wrong");
        }

        var idle = instance.Requests.Total - before;

        // The pages an edit pass reads: the same query the reconciler's scan sends.
        before = instance.Requests.Total;
        await foreach (var _ in instance.Tables.Schedules.QueryAsync<TableEntity>())
        {
        }

        return (idle, instance.Requests.Total - before);
    }
}
