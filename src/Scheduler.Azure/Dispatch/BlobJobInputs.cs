using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Scheduler.Jobs;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>
/// A run's view of the blobs under its schedule's Input. Streams are opened only when the job asks, tracked, and
/// disposed when the run ends; each blob read is recorded with its ETag for the ledger.
/// </summary>
internal sealed class BlobJobInputs(BlobServiceClient blobs, InputLocation? location, ScheduleKey schedule, ILogger logger) : IJobInputs, IAsyncDisposable
{
    private readonly ConcurrentBag<Stream> _opened = [];
    private readonly ConcurrentDictionary<string, string> _read = new(StringComparer.Ordinal);

    public string? Location => location?.ToString();

    public IReadOnlyDictionary<string, string> Read => _read;

    public async IAsyncEnumerable<IJobInput> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var container = Container();
        var pages = container.GetBlobsAsync(BlobTraits.None, BlobStates.None, location!.Prefix, cancellationToken).AsPages().GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                Page<BlobItem> page;
                try
                {
                    if (!await pages.MoveNextAsync())
                    {
                        yield break;
                    }

                    page = pages.Current;
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    throw Missing(ex);
                }

                foreach (var item in page.Values)
                {
                    if (HasDotSegment(item.Name))
                    {
                        // A URL built from "a/../../other/b" leaves the container: such a blob is never handed to a job.
                        logger.LogWarning("Input blob {Blob} in container {Container} was passed over: its name has '.' or '..' segments; rename it", item.Name, location.Container);
                        continue;
                    }

                    yield return new Input(this, container.GetBlobClient(item.Name), Unquoted(item.Properties.ETag?.ToString()), item.Properties.ContentLength ?? 0);
                }
            }
        }
        finally
        {
            await pages.DisposeAsync();
        }
    }

    public async Task<IJobInput> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        if (name.StartsWith('/') || HasDotSegment(name))
        {
            throw new JobInputException($"input name \"{name}\" must be relative to the schedule's Input {Location} without '.' or '..' segments");
        }

        var blob = Container().GetBlobClient(location!.Prefix + name);
        try
        {
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            return new Input(this, blob, Unquoted(properties.Value.ETag.ToString()), properties.Value.ContentLength);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw ex.ErrorCode == BlobErrorCode.ContainerNotFound
                ? Missing(ex)
                : new JobInputException($"input blob \"{blob.Name}\" does not exist in container \"{blob.BlobContainerName}\"; upload it or fix the Args/Input of schedule {schedule}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in _opened)
        {
            await stream.DisposeAsync();
        }
    }

    private static bool HasDotSegment(string name) => name.Split('/', '\\').Any(s => s is ".." or ".");

    /// <summary>Listing and properties quote ETags differently; the ledger records one form.</summary>
    private static string Unquoted(string? etag) => etag?.Trim('"') ?? "";

    private BlobContainerClient Container() => location is null
        ? throw new JobInputException($"schedule {schedule} has no Input; set Input to a container/prefix such as \"imports/incoming/\"")
        : blobs.GetBlobContainerClient(location.Container);

    private JobInputException Missing(Exception inner) =>
        new($"input container \"{location!.Container}\" does not exist; create it or fix the Input of schedule {schedule}", inner);

    private sealed class Input(BlobJobInputs owner, BlobClient blob, string etag, long size) : IJobInput
    {
        public string Container => blob.BlobContainerName;
        public string Name => blob.Name;
        public string ETag => etag;
        public long Size => size;

        public async Task<Stream> OpenReadAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                // Pinned to the listed ETag: a blob replaced mid-run fails loudly instead of mixing versions.
                var options = new BlobOpenReadOptions(allowModifications: false);
                if (etag.Length > 0)
                {
                    options.Conditions = new BlobRequestConditions { IfMatch = new Azure.ETag(etag) };
                }

                var stream = new RunOwnedStream(await blob.OpenReadAsync(options, cancellationToken));
                owner._opened.Add(stream);
                owner._read[blob.Name] = etag;
                return stream;
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                throw new JobInputException($"input blob \"{blob.Name}\" in container \"{blob.BlobContainerName}\" {(ex.Status == 404 ? "no longer exists" : "changed while the run was reading it")}", ex);
            }
        }
    }
}
