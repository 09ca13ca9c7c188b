using Microsoft.Extensions.DependencyInjection;
using Scheduler.Azure.Storage;
using Scheduler.Jobs;

namespace Scheduler.Azure.Hosting;

/// <summary>Start-up work every host does once: create missing tables and publish the job catalog.</summary>
public sealed class SchedulerInitializer(
    SchedulerTables tables,
    JobCatalogStore catalogStore,
    IEnumerable<JobRegistration> registrations,
    SchedulerOptions options,
    IServiceProvider services)
{
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await tables.CreateIfMissingAsync(cancellationToken);
        if (options.Dispatch == DispatchMode.Queue)
        {
            await services.GetRequiredService<Dispatch.OccurrenceQueue>().Client.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        await catalogStore.PublishAsync(registrations, options.Inputs.AllowedContainers, cancellationToken);
    }
}
