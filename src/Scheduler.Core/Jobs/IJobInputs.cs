namespace Scheduler.Jobs;

/// <summary>The blobs under a schedule's Input (container/prefix), listed and opened lazily within one run.</summary>
public interface IJobInputs
{
    /// <summary>The container/prefix these inputs come from, or null when the schedule has no Input.</summary>
    string? Location { get; }

    IAsyncEnumerable<IJobInput> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>One blob by its name relative to the Input prefix.</summary>
    Task<IJobInput> GetAsync(string name, CancellationToken cancellationToken = default);
}

public interface IJobInput
{
    /// <summary>The blob container the input is in.</summary>
    string Container { get; }

    /// <summary>The blob's full name within its container.</summary>
    string Name { get; }
    string ETag { get; }
    long Size { get; }

    /// <summary>Opens the blob for reading. The stream belongs to the run and is disposed with it if the job does not.</summary>
    Task<Stream> OpenReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>An input that cannot be read: a missing container or blob, or a schedule without Input. The message says what to fix.</summary>
public sealed class JobInputException(string message, Exception? inner = null) : IOException(message, inner);
