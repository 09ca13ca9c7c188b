using Scheduler.Dispatch;

namespace Scheduler.Bench;

/// <summary>
/// Drives an instance as a Function App host does with precise firing (the default): invocation after invocation of
/// the tick driver, each ticking while work is due and polling every <c>PollInterval</c> while it waits. An invocation
/// that finds nothing due before its window ends returns at once; the next starts after a poll interval, as the
/// instance would look again. So an instance whose shards are drained costs what it costs in production, not a read
/// every few milliseconds.
/// </summary>
internal static class HostLoop
{
    public static async Task RunAsync(Instance instance, Action<TickReport> onTick, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var reports = await instance.Driver.RunInvocationAsync(instance.Driver.NextTickAfter(DateTimeOffset.UtcNow), stopping, onTick);
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
