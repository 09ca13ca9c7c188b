using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Hosting;
using Scheduler.Functions.Jobs;

namespace Scheduler.Functions;

/// <summary>The one registration every host uses: the Functions worker, the standalone host, and the tests.</summary>
public static class SchedulerApp
{
    public static SchedulerBuilder AddSchedulerApp(this IServiceCollection services, IConfiguration configuration) =>
        services.AddScheduler(configuration)
            .AddJob<HeartbeatJob>("heartbeat", "Writes one row per run to a table: for demos and monitoring.", "{\"table\":\"Heartbeats\"}")
            .AddJob<FileImportJob>("file-import",
                "Imports CSV blobs under the schedule's Input into a table, then moves each to processed/ or failed/.",
                "{\"table\":\"Customers\",\"delimiter\":\",\",\"hasHeader\":true,\"skipIfUnchanged\":false}")
            .AddJob<CleanupJob>("cleanup", "Prunes ledger rows and processed blobs older than Args.days.", "{\"days\":30}");
}
