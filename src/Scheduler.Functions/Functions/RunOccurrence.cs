using Microsoft.Azure.Functions.Worker;
using Scheduler.Azure.Dispatch;

namespace Scheduler.Functions.Functions;

/// <summary>
/// Scale-out mode (Scheduler:Dispatch = Queue): runs one claimed occurrence on whichever instance takes its message.
/// Azure Functions spreads the messages; the claim decides who may run.
/// </summary>
public sealed class RunOccurrence(OccurrenceExecutor executor)
{
    [Function(nameof(RunOccurrence))]
    public Task RunAsync([QueueTrigger("%Scheduler:Queue%", Connection = "SchedulerStorage")] string message, CancellationToken cancellationToken) =>
        executor.ExecuteAsync(OccurrenceMessage.Parse(message), cancellationToken);
}
