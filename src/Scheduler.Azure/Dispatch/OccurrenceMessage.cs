using System.Text;
using System.Text.Json;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>
/// A claimed occurrence handed to RunOccurrence: the schedule, the occurrence, the attempt, its lease, and the W3C
/// traceparent of the claim (absent in messages queued before it was added).
/// </summary>
internal sealed record OccurrenceMessage(string Schedule, DateTimeOffset Due, int Attempt, ClaimReason Reason, DateTimeOffset LeaseUntil, string? TraceParent = null)
{
    /// <summary>How much of a message that is not an occurrence a log line shows.</summary>
    public const int ShownLength = 200;

    public ScheduleKey Key => ScheduleKey.Parse(Schedule);

    public ClaimedRun ToClaim() => new(Due, Attempt, Reason, LeaseUntil);

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>
    /// One message for several claimed occurrences (Queue mode's batches, a shard's claims of a tick):
    /// <c>{"Occurrences":[…]}</c>; a single occurrence is written as before.
    /// </summary>
    public static string ToJson(IReadOnlyList<OccurrenceMessage> occurrences) =>
        occurrences.Count == 1 ? occurrences[0].ToJson() : JsonSerializer.Serialize(new Batch(occurrences));

    /// <summary>Reads a message of one occurrence (see <see cref="ParseAll"/> for a batch).</summary>
    /// <exception cref="FormatException">The text is not one occurrence message; the message says why.</exception>
    public static OccurrenceMessage Parse(string text) =>
        ParseAll(text) is [var one] ? one : throw new FormatException("not an occurrence message: it holds several occurrences");

    /// <summary>
    /// Reads a message of one occurrence or a batch; one written base64-encoded (as this app did before it switched the
    /// queue to plain text) is decoded first, so messages queued across an upgrade still run.
    /// </summary>
    /// <exception cref="FormatException">The text is not an occurrence message; the message says why.</exception>
    public static IReadOnlyList<OccurrenceMessage> ParseAll(string text)
    {
        var json = text.TrimStart().StartsWith('{') ? text : FromBase64(text) ?? text;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(nameof(Batch.Occurrences), out var occurrences))
            {
                return occurrences.ValueKind == JsonValueKind.Array && occurrences.GetArrayLength() > 0
                    ? [.. occurrences.EnumerateArray().Select(o => Valid(o.Deserialize<OccurrenceMessage>()))]
                    : throw new FormatException("not an occurrence message: \"Occurrences\" must be a list of one or more occurrences");
            }

            return [Valid(document.RootElement.Deserialize<OccurrenceMessage>())];
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not an occurrence message ({ex.Message.Split('.')[0]})", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"not an occurrence message ({ex.Message.Split('.')[0]})", ex);
        }
    }

    private static OccurrenceMessage Valid(OccurrenceMessage? message)
    {
        if (message is null || string.IsNullOrEmpty(message.Schedule) || message.Schedule.IndexOf('|', StringComparison.Ordinal) is <= 0 || message.Schedule.EndsWith('|'))
        {
            throw new FormatException("not an occurrence message: \"Schedule\" must name a schedule as group|id");
        }

        if (message.Due == default || message.Attempt < 1)
        {
            throw new FormatException("not an occurrence message: it needs a \"Due\" time and an \"Attempt\" of 1 or more");
        }

        return message;
    }

    private sealed record Batch(IReadOnlyList<OccurrenceMessage> Occurrences);

    /// <summary>The text as a log line can show it: at most <see cref="ShownLength"/> characters, with its full length.</summary>
    public static string Shown(string text) =>
        text.Length <= ShownLength ? text : $"{text[..ShownLength]}… ({text.Length} characters)";

    private static string? FromBase64(string text)
    {
        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), bytes, out var length) ? Encoding.UTF8.GetString(bytes, 0, length) : null;
    }
}
