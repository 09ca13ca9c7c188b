using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Jobs;

namespace Scheduler.App.Jobs;

/// <summary>Prunes ledger rows and processed blobs (in the allowed input containers) older than Args.days.</summary>
internal sealed class CleanupJob(StateStore states, BlobServiceClient blobs, SchedulerOptions options, TimeProvider clock) : IJob
{
    public sealed class Settings
    {
        public int Days { get; set; } = 30;
    }

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var days = context.GetArgs<Settings>().Days;
        if (days < 1)
        {
            throw new FormatException($"Args.days is {days}; use 1 or more");
        }

        var cutoff = clock.GetUtcNow().AddDays(-days);
        var rows = await states.DeleteRunsFinishedBeforeAsync(cutoff, cancellationToken);
        var files = 0;
        foreach (var name in options.Inputs.AllowedContainers)
        {
            var container = blobs.GetBlobContainerClient(name);
            if (!await container.ExistsAsync(cancellationToken))
            {
                continue;
            }

            await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "processed/", cancellationToken))
            {
                if (blob.Properties.LastModified < cutoff)
                {
                    await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
                    files++;
                }
            }
        }

        context.Logger.LogInformation("Cleanup removed {Rows} ledger rows and {Files} processed blobs older than {Cutoff:O}", rows, files, cutoff);
    }
}
