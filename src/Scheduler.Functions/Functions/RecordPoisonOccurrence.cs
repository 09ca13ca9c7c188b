using Microsoft.Azure.Functions.Worker;
using Scheduler.Dispatch;

namespace Scheduler.Functions.Functions;

/// <summary>
/// A message RunOccurrence failed on every delivery ends here: a real claim ends in the ledger as Failed with the
/// reason; anything else is logged once, shortened. Never throws.
/// </summary>
internal sealed class RecordPoisonOccurrence(OccurrenceExecutor executor)
{
    public const int MaxDequeueCount = 5; // host.json extensions.queues.maxDequeueCount

    [Function(nameof(RecordPoisonOccurrence))]
    public Task RunAsync([QueueTrigger("%Scheduler:Queue%-poison", Connection = "SchedulerStorage")] string message) =>
        executor.RecordPoisonAsync(message, MaxDequeueCount);
}
