using Microsoft.Extensions.DependencyInjection;
using Scheduler.Storage;
using Scheduler.Jobs;

namespace Scheduler.Hosting;

/// <summary>Start-up work every host does once: create missing tables and publish the job catalog.</summary>
internal sealed class SchedulerInitializer(
    SchedulerTables tables,
    JobCatalogStore catalogStore,
    IEnumerable<JobRegistration> registrations,
    JobCatalog catalog,
    IServiceProvider services)
{
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await tables.CreateIfMissingAsync(cancellationToken);

        // In either mode: the Functions host polls both queues for RunOccurrence and RecordPoisonOccurrence, and a
        // missing queue costs a warning per poll. Empty queues cost nothing but those polls.
        var queue = services.GetRequiredService<Dispatch.OccurrenceQueue>();
        await queue.Client.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await queue.Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

        await catalogStore.PublishAsync(registrations, catalog.Validation, cancellationToken);
    }
}
