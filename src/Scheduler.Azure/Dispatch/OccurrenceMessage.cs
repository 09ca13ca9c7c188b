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
    /// Reads a message; one written base64-encoded (as this app did before it switched the queue to plain text) is
    /// decoded first, so messages queued across an upgrade still run.
    /// </summary>
    /// <exception cref="FormatException">The text is not an occurrence message; the message says why.</exception>
    public static OccurrenceMessage Parse(string text)
    {
        var json = text.TrimStart().StartsWith('{') ? text : FromBase64(text) ?? text;
        OccurrenceMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<OccurrenceMessage>(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not an occurrence message ({ex.Message.Split('.')[0]})", ex);
        }

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

    /// <summary>The text as a log line can show it: at most <see cref="ShownLength"/> characters, with its full length.</summary>
    public static string Shown(string text) =>
        text.Length <= ShownLength ? text : $"{text[..ShownLength]}… ({text.Length} characters)";

    private static string? FromBase64(string text)
    {
        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), bytes, out var length) ? Encoding.UTF8.GetString(bytes, 0, length) : null;
    }
}
