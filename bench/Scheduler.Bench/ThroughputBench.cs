using System.Diagnostics;
using Scheduler.Azure.Hosting;

namespace Scheduler.Bench;

public sealed record ThroughputResult(int Schedules, int Dispatchers, double IngestSeconds, double OccurrencesPerSecond, double RequestsPerOccurrence, long IdleTickRequests, long IdleTickWithScanRequests, int Conflicts);

/// <summary>
/// N schedules whose single occurrence is due at once; D dispatcher instances tick until every occurrence is claimed,
/// run (no-op) and recorded. Then one idle tick (index read only) and one idle tick that also scans for edits.
/// </summary>
public static class ThroughputBench
{
    public static async Task<ThroughputResult> RunAsync(string connectionString, int schedules, int dispatchers)
    {
        var prefix = "b" + Guid.NewGuid().ToString("N")[..8];
        var instances = Enumerable.Range(1, dispatchers).Select(i => new Instance(connectionString, prefix, $"d{i}", o => o.ReconcileInterval = TimeSpan.FromDays(1))).ToList();
        try
        {
            await instances[0].InitializeAsync();
            await Seeding.WriteAsync(instances[0].Tables.Schedules, schedules, _ => Seeding.OnceAt(DateTimeOffset.UtcNow.AddSeconds(-1)));
            var ingest = Stopwatch.StartNew();
            await instances[0].Reconciler.ReconcileAsync(default);
            ingest.Stop();

            var before = instances.Sum(i => i.Requests.Total);
            var done = 0;
            var conflicts = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(instances.Select(async instance =>
            {
                while (Volatile.Read(ref done) < schedules && clock.Elapsed < TimeSpan.FromMinutes(20))
                {
                    var report = await instance.Dispatcher.TickAsync(reconcile: false);
                    Interlocked.Add(ref done, report.Ran);
                    Interlocked.Add(ref conflicts, report.Conflicts);
                    if (report.DueEntries == 0)
                    {
                        await Task.Delay(20);
                    }
                }
            }));
            clock.Stop();
            var requests = instances.Sum(i => i.Requests.Total) - before;

            var idleBefore = instances[0].Requests.Total;
            await instances[0].Dispatcher.TickAsync(reconcile: false);
            var idle = instances[0].Requests.Total - idleBefore;
            var scanBefore = instances[0].Requests.Total;
            await instances[0].Reconciler.ReconcileAsync(default);
            await instances[0].Dispatcher.TickAsync(reconcile: false);
            var idleWithScan = instances[0].Requests.Total - scanBefore;
            return new ThroughputResult(schedules, dispatchers, ingest.Elapsed.TotalSeconds, done / clock.Elapsed.TotalSeconds,
                (double)requests / Math.Max(1, done), idle, idleWithScan, conflicts);
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }
}
