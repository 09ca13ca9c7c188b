using System.Diagnostics;

namespace Scheduler.Bench;

/// <param name="RequestKinds">The first dispatcher's requests by table and kind (with several, as a share of its part of the occurrences).</param>
public sealed record ThroughputResult(int Schedules, int Dispatchers, double IngestSeconds, int Done, double Seconds, double OccurrencesPerSecond, double RequestsPerOccurrence, long? IdleTickRequests, long? IdleTickWithScanRequests, int Conflicts, IReadOnlyList<RequestKindCount> RequestKinds);

/// <summary>
/// N schedules whose single occurrence is due at once; D dispatcher instances, each driven as a host drives it
/// (<see cref="HostLoop"/>), work until every occurrence is claimed, run (no-op) and recorded, or until a time cap
/// (sustained throughput over the first minutes of a large backlog).
/// When drained: one idle tick (index read only) and one idle tick that also scans for edits.
/// </summary>
public static class ThroughputBench
{
    /// <summary>Writes N one-off entries due a second ago and lets the reconciler ingest them; returns the table prefix and the ingest time.</summary>
    /// <param name="shards">The due index's shards (the tables' layout row is written here); the default when null.</param>
    public static async Task<(string Prefix, double IngestSeconds)> SeedAsync(string connectionString, int schedules, int? shards = null)
    {
        var prefix = "b" + Guid.NewGuid().ToString("N")[..8];
        await using var seeder = new Instance(connectionString, prefix, "seeder", o =>
        {
            o.ReconcileInterval = TimeSpan.FromDays(1);
            o.Shards = shards ?? o.Shards;
        });
        await seeder.InitializeAsync();
        await Seeding.WriteAsync(seeder.Tables.Schedules, schedules, _ => Seeding.OnceAt(DateTimeOffset.UtcNow.AddSeconds(-1)));
        var ingest = Stopwatch.StartNew();
        await seeder.Reconciler.ReconcileAsync(default);
        return (prefix, ingest.Elapsed.TotalSeconds);
    }

    /// <param name="remaining">Occurrences still due on <paramref name="prefix"/> (less than N when an earlier drain was capped).</param>
    /// <param name="profile">The Azure profile every request of the drain passes, or none (Azurite as it is).</param>
    public static async Task<ThroughputResult> DrainAsync(string connectionString, string prefix, int schedules, int remaining, int dispatchers, double ingestSeconds, TimeSpan cap, AzureProfilePolicy? profile = null)
    {
        var instances = Enumerable.Range(1, dispatchers).Select(i => new Instance(connectionString, prefix, $"d{i}", o => o.ReconcileInterval = TimeSpan.FromDays(1), profile)).ToList();
        try
        {
            instances.ForEach(i => i.Kinds.Reset());
            var before = instances.Sum(i => i.Requests.Total);
            var runsBefore = NoopJob.Runs;
            var done = 0;
            var conflicts = 0;
            var clock = Stopwatch.StartNew();
            var progress = Stopwatch.StartNew();
            using var stopping = new CancellationTokenSource();
            var hosts = instances.Select(instance => HostLoop.RunAsync(instance, report => Interlocked.Add(ref conflicts, report.Conflicts), stopping.Token)).ToList();
            while (done < remaining && clock.Elapsed < cap)
            {
                await Task.Delay(20);
                done = (int)(NoopJob.Runs - runsBefore);
                if (progress.Elapsed > TimeSpan.FromSeconds(10))
                {
                    progress.Restart();
                    Console.WriteLine($"  {schedules:N0} x {dispatchers}: {done:N0} done after {clock.Elapsed.TotalSeconds:F0} s");
                }
            }

            // Stopping waits for the runs' completions to be recorded (under a backlog a tick's claims take the lanes
            // first and its completions queue behind them): the drain ends when they are, not when the jobs ran.
            await stopping.CancelAsync();
            await Task.WhenAll(hosts);
            clock.Stop();
            var requests = instances.Sum(i => i.Requests.Total) - before;
            var kinds = instances[0].Kinds.Breakdown(done / dispatchers);
            foreach (var kind in kinds)
            {
                Console.WriteLine($"  requests of d1: {kind}");
            }

            long? idle = null, idleWithScan = null;
            if (done >= remaining)
            {
                var idleBefore = instances[0].Requests.Total;
                await instances[0].Dispatcher.TickAsync(reconcile: false);
                idle = instances[0].Requests.Total - idleBefore;
                await instances[0].Reconciler.ReconcileAsync(default); // primes what this instance has applied
                var scanBefore = instances[0].Requests.Total;
                await instances[0].Reconciler.ReconcileAsync(default);
                await instances[0].Dispatcher.TickAsync(reconcile: false);
                idleWithScan = instances[0].Requests.Total - scanBefore;
            }

            return new ThroughputResult(schedules, dispatchers, ingestSeconds, done, clock.Elapsed.TotalSeconds, done / clock.Elapsed.TotalSeconds,
                (double)requests / Math.Max(1, done), idle, idleWithScan, conflicts, kinds);
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
