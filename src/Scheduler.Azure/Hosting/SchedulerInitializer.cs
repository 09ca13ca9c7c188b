using Microsoft.Extensions.DependencyInjection;
using Scheduler.Storage;
using Scheduler.Jobs;

namespace Scheduler.Hosting;

/// <summary>Start-up work every host does once: create missing tables, read (or write) the tables' layout, and publish the job catalog.</summary>
internal sealed class SchedulerInitializer(
    SchedulerTables tables,
    JobCatalogStore catalogStore,
    IEnumerable<JobRegistration> registrations,
    JobCatalog catalog,
    DueIndex index,
    ShardStore shards,
    IServiceProvider services)
{
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await tables.CreateIfMissingAsync(cancellationToken);
        await shards.LayoutAsync(cancellationToken); // tables of a layout this version cannot read stop it here, saying why
        await MigrateDueIndexAsync(cancellationToken);

        // In either mode: the Functions host polls both queues for RunOccurrence and RecordPoisonOccurrence, and a
        // missing queue costs a warning per poll. Empty queues cost nothing but those polls.
        var queue = services.GetRequiredService<Dispatch.OccurrenceQueue>();
        await queue.Client.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await queue.Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

        await catalogStore.PublishAsync(registrations, catalog.Validation, cancellationToken);
    }

    /// <summary>
    /// Tables written before sharding keep their due entries in one partition: they move to their shards now (the
    /// layout row is written first, so every process places entries the same way from here on). An unreadable row is
    /// quarantined and removed, as a tick would.
    /// </summary>
    private async Task MigrateDueIndexAsync(CancellationToken cancellationToken)
    {
        var bad = new List<RowFault>();
        while (await index.MigrateLegacyAsync(1000, bad, cancellationToken) > 0 || bad.Count > 0)
        {
            foreach (var fault in bad)
            {
                await index.SetAsideAsync(fault, cancellationToken);
            }

            bad.Clear();
        }
    }
}
