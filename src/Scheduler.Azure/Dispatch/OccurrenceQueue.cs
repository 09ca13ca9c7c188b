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

    /// <summary>
    /// Occurrences one message carries at most (a shard's claims of a tick): RunOccurrence starts, runs and records them
    /// together, so a message's occurrences run at once on the instance that takes it. About 8 KiB of the queue's 64.
    /// </summary>
    public const int OccurrencesPerMessage = 32;

    /// <summary>Queues many claimed occurrences, <see cref="OccurrencesPerMessage"/> a message; each message is sent (or fails) on its own.</summary>
    public async Task<IReadOnlyList<Exception?>> EnqueueManyAsync(IReadOnlyList<OccurrenceMessage> occurrences, CancellationToken cancellationToken)
    {
        var chunks = occurrences.Chunk(OccurrencesPerMessage).ToList();
        var sent = await Task.WhenAll(chunks.Select(async chunk =>
        {
            try
            {
                await Client.SendMessageAsync(OccurrenceMessage.ToJson(chunk), cancellationToken);
                return (Exception?)null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return ex;
            }
        }));
        return [.. chunks.Zip(sent).SelectMany(c => c.First.Select(_ => c.Second))];
    }

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
