using Scheduler.Functions.Standalone;
using Scheduler.Reliability;
using Scheduler.Reliability.Faults;
using Scheduler.Reliability.Harness;
using Scheduler.Reliability.Jobs;

// "host": the standalone host with the probe and poison jobs (started by the scenarios as child processes).
if (args.FirstOrDefault() == HostBinary.HostCommand)
{
    return await StandaloneHost.RunAsync([.. args.Skip(1)], jobs =>
    {
        jobs.AddReliabilityJobs();
        if (Environment.GetEnvironmentVariable(DuplicatingDelivery.Setting) == "true")
        {
            DuplicatingDelivery.Install(jobs.Services);
        }
    });
}

return await ReliabilityRun.MainAsync(args, Console.Out);
