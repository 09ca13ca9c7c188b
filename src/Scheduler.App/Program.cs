using Microsoft.Extensions.DependencyInjection;
using Scheduler.App;
using Scheduler.Functions;

// The Functions host (func start, Azure) runs the package's functions with these jobs; --standalone runs the same
// without Core Tools. Locally (--standalone) this app also starts Azurite when development storage is configured
// and nothing listens on its ports, and seeds the demo with --seed-demo.
var standalone = args.Contains(SchedulerFunctionsApp.StandaloneFlag);
var seedDemo = args.Contains(DemoSeeder.Flag);
args = [.. args.Where(a => a != DemoSeeder.Flag)];
LocalAzurite? azurite;
try
{
    azurite = standalone ? await LocalAzurite.StartIfNeededAsync(args) : null;
}
catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
{
    // A start-up problem a person fixes (a port taken, Node.js missing): one line, not a stack trace.
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

await using (azurite)
{
    return await SchedulerFunctionsApp.RunAsync(args, scheduler =>
    {
        scheduler.AddDemoJobs();
        if (seedDemo)
        {
            scheduler.Services.AddSingleton<Scheduler.Functions.Standalone.IStandaloneStartup, DemoSeeder>();
        }
    });
}
