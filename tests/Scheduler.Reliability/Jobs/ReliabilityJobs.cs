using Scheduler.Hosting;

namespace Scheduler.Reliability.Jobs;

/// <summary>The harness's jobs, registered in the hosts it starts and in its own admin client (for validation).</summary>
internal static class ReliabilityJobs
{
    public const string Probe = "probe";
    public const string Throws = "poison-throws";
    public const string Hangs = "poison-hangs";
    public const string Deaf = "poison-deaf";
    public const string Allocates = "poison-allocates";

    public static SchedulerBuilder AddReliabilityJobs(this SchedulerBuilder builder) => builder
        .AddJob<ProbeJob>(Probe, "Records each execution and performs its effect once per idempotency key.", "{\"table\":\"Probe\",\"failAttempts\":0,\"workMilliseconds\":0}")
        .AddJob<ThrowingJob>(Throws, "Throws on every attempt.")
        .AddJob<HangingJob>(Hangs, "Never finishes; honours cancellation.")
        .AddJob<DeafJob>(Deaf, "Blocks for Args.seconds, ignoring cancellation.", "{\"seconds\":20}")
        .AddJob<AllocatingJob>(Allocates, "Allocates Args.megabytes, then lets it go.", "{\"megabytes\":512}");
}
