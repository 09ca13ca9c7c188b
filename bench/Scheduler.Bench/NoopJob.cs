using System.Collections.Concurrent;
using Scheduler.Jobs;

namespace Scheduler.Bench;

/// <summary>Does nothing but note how late it started: the no-op job every throughput and latency figure runs.</summary>
public sealed class NoopJob : IJob
{
    public static ConcurrentBag<double> StartDelaysMs { get; } = [];

    /// <summary>Only occurrences due at or after this are recorded (<see cref="DateTimeOffset.MaxValue"/>: none).</summary>
    public static DateTimeOffset RecordFrom { get; set; } = DateTimeOffset.MaxValue;

    /// <summary>Occurrences due after this are not recorded.</summary>
    public static DateTimeOffset RecordUntil { get; set; } = DateTimeOffset.MaxValue;

    public Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        if (context.Due >= RecordFrom && context.Due < RecordUntil)
        {
            StartDelaysMs.Add((DateTimeOffset.UtcNow - context.Due).TotalMilliseconds);
        }

        return Task.CompletedTask;
    }
}
