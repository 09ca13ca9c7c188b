using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Scheduler.Bench;

/// <summary>
/// Makes Azurite answer more like Azure Table Storage: every request waits a network round trip (default 8 ms), and
/// Azure's published scalability targets are enforced, 2,000 entities/s per partition and 20,000 transactions/s per
/// account, by answering 503 ServerBusy beyond them (as Azure does), which the SDK's retry policy backs off from. A
/// request's entities: one for a point operation, each operation of a batch, each row a query returned (counted when it
/// returns, so a large read throttles the requests after it). Shared by every client of a run: one account.
/// </summary>
public sealed partial class AzureProfilePolicy(TimeSpan latency, int entitiesPerPartition = 2_000, int transactionsPerAccount = 20_000) : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<string, TokenBucket> _partitions = new(StringComparer.Ordinal);
    private readonly TokenBucket _account = new(transactionsPerAccount);
    private long _throttled;
    private long _requests;
    private long _inFlight;
    private long _peakInFlight;
    private long _busyTicks;

    public long Throttled => Interlocked.Read(ref _throttled);
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>The most requests this client had outstanding at once.</summary>
    public long PeakInFlight => Interlocked.Read(ref _peakInFlight);

    /// <summary>The requests' durations added up: over a run's wall time, how many were outstanding on average.</summary>
    public TimeSpan Busy => TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks));

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _requests);
        var inFlight = Interlocked.Increment(ref _inFlight);
        for (var peak = Interlocked.Read(ref _peakInFlight); inFlight > peak; peak = Interlocked.Read(ref _peakInFlight))
        {
            Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await SendAsync(message, pipeline);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Add(ref _busyTicks, Stopwatch.GetElapsedTime(started).Ticks);
        }
    }

    private async ValueTask SendAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await Task.Delay(latency, message.CancellationToken);
        var (partition, entities) = Describe(message.Request);
        var bucket = partition is null ? null : _partitions.GetOrAdd(partition, _ => new TokenBucket(entitiesPerPartition));
        if (!_account.TryTake(1) || bucket?.TryTake(entities) == false)
        {
            Interlocked.Increment(ref _throttled);
            message.Response = new ServerBusyResponse(message.Request.ClientRequestId);
            return;
        }

        await ProcessNextAsync(message, pipeline);
        if (bucket is not null && message.Request.Method == RequestMethod.Get && message.Response.Status == 200)
        {
            bucket.Charge(Math.Max(0, CountRows(message.Response) - 1));
        }
    }

    /// <summary>The table and partition a request touches, and how many entities it writes (reads are charged on return).</summary>
    private static (string? Partition, int Entities) Describe(Request request)
    {
        var uri = Uri.UnescapeDataString(request.Uri.ToUri().PathAndQuery);
        if (uri.Contains("$batch", StringComparison.Ordinal) && request.Content is { } content)
        {
            using var body = new MemoryStream();
            content.WriteTo(body, CancellationToken.None);
            var text = Encoding.UTF8.GetString(body.ToArray());
            var operations = Math.Max(1, Regex.Count(text, "application/http"));
            return (PartitionOf(Uri.UnescapeDataString(text)), operations);
        }

        return (PartitionOf(uri), 1);
    }

    private static string? PartitionOf(string text)
    {
        var table = TableName().Match(text);
        var key = PartitionKey().Match(text);
        return table.Success && key.Success ? $"{table.Groups[1].Value}/{key.Groups[1].Value}" : null;
    }

    private static int CountRows(Response response) =>
        response.Content is { } content ? Regex.Count(content.ToString(), "\"odata\\.etag\"") : 1;

    [GeneratedRegex(@"/([A-Za-z][A-Za-z0-9]{2,62})(?:\(|\?|\(\))")]
    private static partial Regex TableName();

    [GeneratedRegex(@"PartitionKey(?:='| eq ')([^']*)'")]
    private static partial Regex PartitionKey();

    /// <summary>A rate per second with a second's burst.</summary>
    private sealed class TokenBucket(double rate)
    {
        private readonly Lock _lock = new();
        private readonly long _start = Stopwatch.GetTimestamp();
        private readonly double _perSecond = rate;
        private double _tokens = rate;
        private double _at;

        public bool TryTake(int count)
        {
            lock (_lock)
            {
                Refill();
                if (_tokens < count)
                {
                    return false;
                }

                _tokens -= count;
                return true;
            }
        }

        public void Charge(int count)
        {
            lock (_lock)
            {
                Refill();
                _tokens -= count;
            }
        }

        private void Refill()
        {
            var now = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            _tokens = Math.Min(_perSecond, _tokens + ((now - _at) * _perSecond));
            _at = now;
        }
    }

    /// <summary>What Azure answers beyond a target: 503 Server Busy, which the SDK retries with backoff.</summary>
    private sealed class ServerBusyResponse(string requestId) : Response
    {
        public override int Status => 503;
        public override string ReasonPhrase => "Server Busy";
        public override Stream? ContentStream { get; set; } = new MemoryStream(Encoding.UTF8.GetBytes(
            "{\"odata.error\":{\"code\":\"ServerBusy\",\"message\":{\"lang\":\"en-US\",\"value\":\"The server is busy.\"}}}"));
        public override string ClientRequestId { get; set; } = requestId;

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => false;

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => [];

        protected override bool TryGetHeader(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = null;
            return false;
        }

        protected override bool TryGetHeaderValues(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = null;
            return false;
        }
    }
}
