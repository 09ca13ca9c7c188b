using System.Diagnostics;

namespace Scheduler.Bench;

public sealed record LatencyResult(bool Precise, int Schedules, long DueInWindow, int Runs, double P50, double P99, double Max)
{
    public string Configuration => Precise ? "precise firing (the default: tick every minute, waits inside the invocation)" : "tick only (PreciseFiring = false)";
}

/// <summary>
/// Due-to-start latency at a realistic load: N schedules each due once a minute, due times spread over the minute,
/// driven exactly as a host drives them (the tick driver on the tick schedule) for a fixed window.
/// </summary>
public static class LatencyBench
{
    /// <summary>How long after the window an occurrence due in it may still start and be counted.</summary>
    private static readonly TimeSpan LateGrace = TimeSpan.FromSeconds(30);

    public static async Task<LatencyResult> RunAsync(string connectionString, int schedules, bool precise, TimeSpan window)
    {
        var prefix = "l" + Guid.NewGuid().ToString("N")[..8];
        await using var instance = new Instance(connectionString, prefix, "latency", o =>
        {
            o.PreciseFiring = precise;
        });
        await instance.InitializeAsync();
        await Seeding.WriteAsync(instance.Tables.Schedules, schedules, Seeding.EveryMinute);
        await instance.Reconciler.ReconcileAsync(default);

        // Ingesting 10,000 entries takes longer than a minute: first work off the occurrences that fell due meanwhile,
        // until a tick finds no more than a second's worth, as a host that has been running would.
        // A dispatcher that cannot keep up never gets there: give up after a while and let the window show it.
        var warmUp = Stopwatch.StartNew();
        while ((await instance.Dispatcher.TickAsync(reconcile: false)).DueEntries > Math.Max(1, schedules / 60) && warmUp.Elapsed < TimeSpan.FromSeconds(90))
        {
        }

        // Measure as a host that was already running: the first invocation starts now (not at the next tick), and only
        // occurrences due in the window count, so the backlog between ingest and the first tick is not mistaken for
        // lateness. An occurrence due in the window that has not started when the window ends plus a grace is counted
        // as not started (and the invocation is cancelled: a dispatcher that cannot keep up would otherwise never stop).
        NoopJob.StartDelaysMs.Clear();
        var start = DateTimeOffset.UtcNow;
        NoopJob.RecordFrom = start;
        NoopJob.RecordUntil = start + window;
        using var stop = new CancellationTokenSource(window + LateGrace);
        try
        {
            var next = start;
            while (DateTimeOffset.UtcNow < start + window + LateGrace)
            {
                await instance.Driver.RunInvocationAsync(instance.Driver.NextTickAfter(next), stop.Token);
                var now = DateTimeOffset.UtcNow;
                next = instance.Driver.NextTickAfter(now);
                await Task.Delay(next - now, stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        NoopJob.RecordFrom = DateTimeOffset.MaxValue;
        var dueInWindow = (long)schedules * (long)window.TotalSeconds / 60; // each schedule is due once a minute
        var delays = NoopJob.StartDelaysMs.Order().ToList();
        return new LatencyResult(precise, schedules, dueInWindow, delays.Count, Stats.Percentile(delays, 0.50), Stats.Percentile(delays, 0.99), delays.Count == 0 ? double.NaN : delays[^1]);
    }
}
