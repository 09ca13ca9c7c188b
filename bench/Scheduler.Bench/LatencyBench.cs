using System.Diagnostics;

namespace Scheduler.Bench;

public sealed record LatencyResult(string Configuration, int Schedules, int Runs, double P50, double P99, double Max);

/// <summary>
/// Due-to-start latency at a realistic load: N schedules each due once a minute, due times spread over the minute,
/// driven exactly as a host drives them (the tick driver on the tick schedule) for a fixed window.
/// </summary>
public static class LatencyBench
{
    public static async Task<LatencyResult> RunAsync(string connectionString, int schedules, bool precise, TimeSpan window)
    {
        var prefix = "l" + Guid.NewGuid().ToString("N")[..8];
        await using var instance = new Instance(connectionString, prefix, "latency", o =>
        {
            o.PreciseFiring = precise;
            o.ReconcileInterval = TimeSpan.FromMinutes(5);
        });
        await instance.InitializeAsync();
        await Seeding.WriteAsync(instance.Tables.Schedules, schedules, Seeding.EveryMinute);
        await instance.Reconciler.ReconcileAsync(default);

        NoopJob.StartDelaysMs.Clear();
        NoopJob.RecordDelays = true;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < window)
        {
            var now = DateTimeOffset.UtcNow;
            var next = instance.Driver.NextTickAfter(now);
            await Task.Delay(next - now);
            await instance.Driver.RunInvocationAsync(instance.Driver.NextTickAfter(next), default);
        }

        NoopJob.RecordDelays = false;
        var delays = NoopJob.StartDelaysMs.Order().ToList();
        return new LatencyResult(precise ? "precise firing (default tick, waits inside the invocation)" : "tick only (every minute, no precise firing)",
            schedules, delays.Count, Stats.Percentile(delays, 0.50), Stats.Percentile(delays, 0.99), delays.Count == 0 ? double.NaN : delays[^1]);
    }
}
