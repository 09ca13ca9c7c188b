using System.Text.Json;
using Azure.Storage.Queues;
using Scheduler.Azure.Hosting;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Azure.Dispatch;

/// <summary>A claimed occurrence handed to RunOccurrence: the schedule, the occurrence, the attempt and its lease.</summary>
public sealed record OccurrenceMessage(string Schedule, DateTimeOffset Due, int Attempt, ClaimReason Reason, DateTimeOffset LeaseUntil)
{
    public ScheduleKey Key => ScheduleKey.Parse(Schedule);

    public ClaimedRun ToClaim() => new(Due, Attempt, Reason, LeaseUntil);

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <exception cref="FormatException">The text is not an occurrence message.</exception>
    public static OccurrenceMessage Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<OccurrenceMessage>(json) ?? throw new FormatException("empty occurrence message");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not an occurrence message: {ex.Message}", ex);
        }
    }
}

/// <summary>The storage queue claimed occurrences go to in Queue dispatch mode (base64 text, as the Functions queue trigger expects).</summary>
public sealed class OccurrenceQueue(QueueServiceClient queues, SchedulerOptions options)
{
    public QueueClient Client { get; } = queues.GetQueueClient(options.Queue);

    public async Task EnqueueAsync(ScheduleKey key, IEnumerable<ClaimedRun> claims, CancellationToken cancellationToken)
    {
        foreach (var claim in claims)
        {
            var message = new OccurrenceMessage(key.Value, claim.Due, claim.Attempt, claim.Reason, claim.LeaseUntil);
            await Client.SendMessageAsync(message.ToJson(), cancellationToken);
        }
    }
}
