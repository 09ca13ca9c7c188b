using Scheduler.App.Jobs;
using Scheduler.Hosting;

namespace Scheduler.App;

/// <summary>The sample jobs this app deploys. A package user registers their own; these are not in any package.</summary>
public static class DemoJobs
{
    public static SchedulerBuilder AddDemoJobs(this SchedulerBuilder scheduler) => scheduler
        .AddJob<HeartbeatJob>("heartbeat", "Writes one row per run to a table: for demos and monitoring.", "{\"table\":\"Heartbeats\"}")
        .AddJob<FileImportJob>("file-import",
            "Imports CSV blobs under the schedule's Input into a table, then moves each to processed/ or failed/.",
            "{\"table\":\"Customers\",\"delimiter\":\",\",\"hasHeader\":true,\"skipIfUnchanged\":false}")
        .AddJob<CleanupJob>("cleanup", "Prunes ledger rows and processed blobs older than Args.days.", "{\"days\":30}");
}
