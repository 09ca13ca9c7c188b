using Azure.Core;
using Azure.Core.Pipeline;

namespace Scheduler.Storage.Tests.Fixtures;

/// <summary>A test's pipeline policy: the scheduler calls its clients asynchronously only, so the synchronous path runs the asynchronous one.</summary>
public abstract class AsyncPipelinePolicy : HttpPipelinePolicy
{
    public sealed override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();
}
