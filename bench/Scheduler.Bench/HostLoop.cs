using Scheduler.Dispatch;

namespace Scheduler.Bench;

/// <summary>
/// Drives an instance as a Function App host does with precise firing (the default): invocation after invocation of
/// the tick driver, each ticking while work is due and polling every <c>PollInterval</c> while it waits. An invocation
/// that finds nothing due before its window ends returns at once; the next starts after a poll interval, as the
/// instance would look again. So an instance whose shards are drained costs what it costs in production, not a read
/// every few milliseconds. A failed invocation (a storage error the SDK's retries did not absorb, say the Azure
/// profile's 503s) is logged, and the next starts when the timer would fire, as the host does.
/// </summary>
internal static class HostLoop
{
    public static async Task RunAsync(Instance instance, Action<TickReport> onTick, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                IReadOnlyList<TickReport> reports;
                try
                {
                    reports = await instance.Driver.RunInvocationAsync(instance.Driver.NextTickAfter(DateTimeOffset.UtcNow), stopping, onTick);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    if (stopping.IsCancellationRequested)
                    {
                        return; // a stop that interrupted a failing invocation
                    }

                    // The Functions host logs a failed invocation and runs the next when its timer fires; so does this loop.
                    Console.Error.WriteLine($"invocation failed: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                    var untilTimer = instance.Driver.NextTickAfter(DateTimeOffset.UtcNow) - DateTimeOffset.UtcNow;
                    await Task.Delay(untilTimer > TimeSpan.Zero ? untilTimer : TimeSpan.Zero, stopping);
                    continue;
                }

                if (reports.All(r => r.DueEntries == 0))
                {
                    await Task.Delay(instance.Options.PollInterval, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
