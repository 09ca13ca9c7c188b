using System.Collections.Concurrent;
using Scheduler.Jobs;

namespace Scheduler.Bench;

/// <summary>Does nothing but note how late it started: the no-op job every throughput and latency figure runs.</summary>
public sealed class NoopJob : IJob
{
    public static ConcurrentBag<double> StartDelaysMs { get; } = [];

    public static bool RecordDelays { get; set; }

    public Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        if (RecordDelays)
        {
            StartDelaysMs.Add((DateTimeOffset.UtcNow - context.Due).TotalMilliseconds);
        }

        return Task.CompletedTask;
    }
}
