using Azure.Storage.Queues;
using Scheduler.Hosting;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>The storage queue claimed occurrences go to in Queue dispatch mode, as plain text (host.json messageEncoding: none).</summary>
internal sealed class OccurrenceQueue(QueueServiceClient queues, SchedulerOptions options)
{
    public QueueClient Client { get; } = queues.GetQueueClient(options.Queue);

    /// <summary>Where messages go after failing every delivery (the Functions host's naming).</summary>
    public QueueClient Poison { get; } = queues.GetQueueClient(options.Queue + "-poison");

    public async Task EnqueueAsync(ScheduleKey key, IEnumerable<ClaimedRun> claims, CancellationToken cancellationToken)
    {
        foreach (var claim in claims)
        {
            // The claim's trace context travels with it: the run RunOccurrence makes of it joins the tick's trace.
            var message = new OccurrenceMessage(key.Value, claim.Due, claim.Attempt, claim.Reason, claim.LeaseUntil, System.Diagnostics.Activity.Current?.Id);
            await Client.SendMessageAsync(message.ToJson(), cancellationToken);
        }
    }
}
