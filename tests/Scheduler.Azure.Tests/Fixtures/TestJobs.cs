using System.Collections.Concurrent;
using Scheduler.Jobs;

namespace Scheduler.Storage.Tests.Fixtures;

/// <summary>Records every run's idempotency key, attempt and instance: the probe that proves effects happen once.</summary>
public sealed class RunRecorder
{
    public ConcurrentQueue<(string Key, int Attempt)> Runs { get; } = new();

    public int CountOf(string idempotencyKey) => Runs.Count(r => r.Key == idempotencyKey);
}

public sealed class RecordingJob(RunRecorder recorder) : IJob
{
    public Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        recorder.Runs.Enqueue((context.IdempotencyKey, context.Attempt));
        return Task.CompletedTask;
    }
}

public sealed class FailingJob : IJob
{
    public Task RunAsync(JobContext context, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"boom on attempt {context.Attempt}");
}

public sealed class HangingJob : IJob
{
    public async Task RunAsync(JobContext context, CancellationToken cancellationToken) =>
        await Task.Delay(Timeout.Infinite, cancellationToken);
}

public sealed class StubbornJob : IJob
{
    public Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        Thread.Sleep(TimeSpan.FromSeconds(4)); // ignores cancellation on purpose
        return Task.CompletedTask;
    }
}
