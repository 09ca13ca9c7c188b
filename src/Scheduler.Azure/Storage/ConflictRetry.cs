using Azure;
using Polly;
using Polly.Retry;

namespace Scheduler.Storage;

/// <summary>
/// Re-reads and re-applies a change whose conditional write lost to another writer (412, or 409 on an insert):
/// bounded and jittered, so writers that collide spread out instead of retrying in lockstep forever.
/// </summary>
internal sealed class ConflictRetry
{
    public const int MaxAttempts = 12;

    private readonly ResiliencePipeline _pipeline;

    public ConflictRetry(TimeProvider clock)
    {
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RequestFailedException>(IsConflict),
                MaxRetryAttempts = MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(10),
                MaxDelay = TimeSpan.FromMilliseconds(200),
            })
            .Build();
    }

    public static bool IsConflict(RequestFailedException ex) => ex.Status is 409 or 412;

    /// <summary>Runs <paramref name="attempt"/> (read, change, conditional write) until it does not conflict, at most <see cref="MaxAttempts"/> times.</summary>
    public ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> attempt, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(attempt, cancellationToken);
}
