using Azure.Core;
using Azure.Core.Pipeline;

namespace Scheduler.Storage;

/// <summary>Counts every storage request that leaves this process (each retry included), so tests and benchmarks can report the cost of a tick.</summary>
internal sealed class StorageRequestCounter : HttpPipelineSynchronousPolicy
{
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _total);
}
