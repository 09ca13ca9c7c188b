using Scheduler.Functions;
using SchedulerApp1.Jobs;

// The scheduler's functions (SchedulerTick, RunOccurrence, RecordPoisonOccurrence, Dashboard) come with the
// Scheduler.Functions package; this app adds its jobs. `dotnet run -- --standalone` runs it without Core Tools.
return await SchedulerFunctionsApp.RunAsync(args, jobs => jobs
    .AddJob<HelloJob>("hello", "Logs a greeting and the files under the schedule's Input.", "{\"greeting\":\"Hello\"}"));
