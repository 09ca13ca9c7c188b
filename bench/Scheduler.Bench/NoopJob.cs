using System.Collections.Concurrent;
using Scheduler.Jobs;

namespace Scheduler.Bench;

/// <summary>Does nothing but note how late it started: the no-op job every throughput and latency figure runs.</summary>
public sealed class NoopJob : IJob
{
    private static long _runs;

    public static ConcurrentBag<double> StartDelaysMs { get; } = [];

    /// <summary>Runs in this process so far: drains count progress by it, as each run happens (a tick reports its runs only when the whole tick ends, which over a large backlog is minutes).</summary>
    public static long Runs => Interlocked.Read(ref _runs);

    /// <summary>Only occurrences due at or after this are recorded (<see cref="DateTimeOffset.MaxValue"/>: none).</summary>
    public static DateTimeOffset RecordFrom { get; set; } = DateTimeOffset.MaxValue;

    /// <summary>Occurrences due after this are not recorded.</summary>
    public static DateTimeOffset RecordUntil { get; set; } = DateTimeOffset.MaxValue;

    public Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _runs);
        if (context.Due >= RecordFrom && context.Due < RecordUntil)
        {
            StartDelaysMs.Add((DateTimeOffset.UtcNow - context.Due).TotalMilliseconds);
        }

        return Task.CompletedTask;
    }
}
