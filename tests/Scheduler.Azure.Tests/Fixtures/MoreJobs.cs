using Scheduler.Jobs;

namespace Scheduler.Storage.Tests.Fixtures;

/// <summary>A scoped dependency that counts how often it is created and disposed: proves a fresh scope per run.</summary>
public sealed class ScopedProbe : IDisposable
{
    private static int s_created;
    private static int s_disposed;

    public ScopedProbe() => Interlocked.Increment(ref s_created);

    public static int Created => s_created;
    public static int Disposed => s_disposed;

    public void Dispose() => Interlocked.Increment(ref s_disposed);
}

public sealed class ScopedJob(ScopedProbe probe) : IJob
{
    public Task RunAsync(JobContext context, CancellationToken cancellationToken) => Task.FromResult(probe);
}

/// <summary>Reads every input, deliberately leaving the streams open: the run must dispose them.</summary>
public sealed class LeakyReaderJob(StreamLog log) : IJob
{
    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        await foreach (var input in context.Inputs.ListAsync(cancellationToken))
        {
            var stream = await input.OpenReadAsync(cancellationToken);
            var buffer = new byte[input.Size];
            await stream.ReadExactlyAsync(buffer, cancellationToken);
            log.Streams.Add(stream);
            log.Contents[input.Name] = System.Text.Encoding.UTF8.GetString(buffer);
        }
    }
}

public sealed class StreamLog
{
    public System.Collections.Concurrent.ConcurrentBag<Stream> Streams { get; } = [];
    public System.Collections.Concurrent.ConcurrentDictionary<string, string> Contents { get; } = new();
}

public sealed class ArgsJob(StreamLog log) : IJob
{
    public sealed class Settings
    {
        public string Delimiter { get; set; } = ",";
        public int Skip { get; set; }
    }

    public Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var settings = context.GetArgs<Settings>();
        log.Contents[context.IdempotencyKey] = $"{settings.Delimiter}|{settings.Skip}|{context.Attempt}";
        return Task.CompletedTask;
    }
}
