using Microsoft.Azure.Functions.Worker;
using Scheduler.Dispatch;

namespace Scheduler.Functions.Functions;

/// <summary>
/// Scale-out mode (Scheduler:Dispatch = Queue): runs the claimed occurrences of a message (one, or up to
/// <see cref="OccurrenceQueue.OccurrencesPerMessage"/> of one shard) on whichever instance takes it.
/// Azure Functions spreads the messages; the claim decides who may run. A message that is not an occurrence throws,
/// so after maxDequeueCount deliveries it lands in the poison queue, where RecordPoisonOccurrence reports it.
/// </summary>
internal sealed class RunOccurrence(OccurrenceExecutor executor, WorkerShutdown shutdown)
{
    [Function(nameof(RunOccurrence))]
    public Task RunAsync([QueueTrigger("%Scheduler:Queue%", Connection = "SchedulerStorage")] string message, CancellationToken cancellationToken) =>
        shutdown.RunAsync(token => executor.ExecuteAllAsync(OccurrenceMessage.ParseAll(message), token), cancellationToken);
}
