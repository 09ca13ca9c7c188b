using System.Net.Sockets;
using Azure;

namespace Scheduler.Storage;

/// <summary>Tells a storage outage (refused, unreachable, 5xx, retries exhausted) from other failures, in one line.</summary>
internal static class StorageFailure
{
    public static string? Describe(Exception exception) => exception switch
    {
        RequestFailedException { Status: 0 or >= 500 } ex => $"{(ex.Status == 0 ? "no response" : ex.Status)}: {FirstLine(ex.Message)}",
        HttpRequestException or SocketException or IOException => FirstLine(exception.Message),
        AggregateException aggregate => aggregate.InnerExceptions.Select(Describe).FirstOrDefault(d => d is not null),
        { InnerException: { } inner } => Describe(inner),
        _ => null,
    };

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
