using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Scheduler.Bench;

/// <summary>One kind of table request a run sent: how many, and how many an occurrence.</summary>
/// <param name="Kind">The table and kind of request ("ScheduleState transaction").</param>
/// <param name="ActionsEach">For transactions: the actions they carried on average.</param>
public sealed record RequestKindCount(string Kind, long Requests, double PerOccurrence, double? ActionsEach)
{
    public override string ToString() => FormattableString.Invariant(
        $"{Kind}: {Requests:N0} ({PerOccurrence:F3} an occurrence){(ActionsEach is { } a ? $", {a:F1} actions each" : "")}");
}

/// <summary>
/// Counts a run's table requests by table and kind (point read, query, write, delete, transaction), and the actions its
/// transactions carried: where the requests an occurrence go, so the costliest kind is the one cut first. With
/// BENCH_TRACE=1 a point read also names the scheduler methods that sent it (slow: a stack trace each).
/// </summary>
public sealed partial class RequestKinds(string prefix) : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentDictionary<string, long[]> _counts = new(StringComparer.Ordinal);

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        var path = Uri.UnescapeDataString(request.Uri.ToUri().PathAndQuery);
        var actions = 0;
        if (path.Contains("$batch", StringComparison.Ordinal) && request.Content is { } content)
        {
            using var body = new MemoryStream();
            content.WriteTo(body, CancellationToken.None);
            path = Uri.UnescapeDataString(Encoding.UTF8.GetString(body.ToArray()));
            actions = Math.Max(1, Regex.Count(path, "application/http"));
        }

        var table = TableName().Match(path) is { Success: true } m ? m.Groups[1].Value : "?";
        table = table.StartsWith(prefix, StringComparison.Ordinal) ? table[prefix.Length..] : table;
        var kind = actions > 0 ? "transaction"
            : request.Method == RequestMethod.Get ? (PointRead().IsMatch(path) ? "point read" : "query")
            : request.Method == RequestMethod.Delete ? "delete"
            : "write";
        if (kind == "point read" && Environment.GetEnvironmentVariable("BENCH_TRACE") == "1")
        {
            var frames = Environment.StackTrace.Split('\n').Where(f => f.Contains("Scheduler.", StringComparison.Ordinal) && !f.Contains("Bench", StringComparison.Ordinal) && !f.Contains("Storage.", StringComparison.Ordinal)).Take(3).Select(f => f.Trim());
            kind += " from " + string.Join(" < ", frames);
        }

        var counts = _counts.GetOrAdd($"{table} {kind}", _ => new long[2]);
        Interlocked.Increment(ref counts[0]);
        Interlocked.Add(ref counts[1], actions);
    }

    /// <summary>The counts so far, most requests first, each also as a share of <paramref name="occurrences"/>.</summary>
    public IReadOnlyList<RequestKindCount> Breakdown(long occurrences) =>
        [.. _counts.OrderByDescending(c => c.Value[0]).Select(c => new RequestKindCount(
            c.Key, c.Value[0], (double)c.Value[0] / Math.Max(1, occurrences), c.Value[1] > 0 ? (double)c.Value[1] / c.Value[0] : null))];

    public void Reset() => _counts.Clear();

    [GeneratedRegex(@"/([A-Za-z][A-Za-z0-9]{2,62})(?:\(|\?|\(\)| HTTP)")]
    private static partial Regex TableName();

    [GeneratedRegex(@"\(PartitionKey='[^']*',\s*RowKey='[^']*'\)")]
    private static partial Regex PointRead();
}
