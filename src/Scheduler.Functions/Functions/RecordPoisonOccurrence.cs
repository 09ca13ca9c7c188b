using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Scheduler.Azure.Dispatch;

namespace Scheduler.Functions.Functions;

/// <summary>A message RunOccurrence failed on every delivery ends here, and its occurrence ends in the ledger as Failed with the reason.</summary>
public sealed class RecordPoisonOccurrence(OccurrenceExecutor executor, ILogger<RecordPoisonOccurrence> logger)
{
    public const int MaxDequeueCount = 5; // host.json extensions.queues.maxDequeueCount

    [Function(nameof(RecordPoisonOccurrence))]
    public async Task RunAsync([QueueTrigger("%Scheduler:Queue%-poison", Connection = "SchedulerStorage")] string message)
    {
        OccurrenceMessage occurrence;
        try
        {
            occurrence = OccurrenceMessage.Parse(message);
        }
        catch (FormatException ex)
        {
            logger.LogError("A poison message is not an occurrence ({Error}); it names no schedule, so it is only logged: {Message}", ex.Message, message);
            return;
        }

        await executor.RecordPoisonAsync(occurrence, MaxDequeueCount);
    }
}
