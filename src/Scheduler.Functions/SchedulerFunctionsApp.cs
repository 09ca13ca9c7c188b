using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Scheduler.Functions.Dashboard;
using Scheduler.Functions.Standalone;
using Scheduler.Functions.Telemetry;
using Scheduler.Hosting;

namespace Scheduler.Functions;

/// <summary>
/// A Function App's whole Program.cs: <c>return await SchedulerFunctionsApp.RunAsync(args, jobs => jobs.AddJob&lt;MyJob&gt;("my-job"));</c>.
/// The functions themselves (SchedulerTick, RunOccurrence, RecordPoisonOccurrence, Dashboard) come with this package:
/// the worker SDK indexes functions of referenced assemblies. With <c>--standalone</c> the same registrations run
/// without the Functions host, ticking on the same schedule (local runs without Core Tools).
/// </summary>
public static class SchedulerFunctionsApp
{
    /// <summary>The argument that runs the app without the Functions host.</summary>
    public const string StandaloneFlag = StandaloneHost.Flag;

    /// <param name="args">The process's arguments.</param>
    /// <param name="addJobs">Registers the app's jobs, and any service of its own (<see cref="SchedulerBuilder.Services"/>).</param>
    /// <returns>The exit code: 0 after a clean stop, 1 when a setting or the dashboard's address is wrong (said on standard error).</returns>
    public static async Task<int> RunAsync(string[] args, Action<SchedulerBuilder> addJobs)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(addJobs);
        if (args.Contains(StandaloneFlag))
        {
            return await StandaloneHost.RunAsync(args, addJobs);
        }

        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication(); // the dashboard's HTTP function uses ASP.NET Core's HttpRequest
        addJobs(builder.AddSchedulerFunctions());
        await builder.Build().RunAsync();
        return 0;
    }

    /// <summary>
    /// For an app that builds its own worker: registers what the scheduler's functions need (the scheduler from the
    /// "SchedulerStorage" and "Scheduler" settings, validated now; telemetry; the dashboard; table creation at start;
    /// a graceful stop that records runs in flight). Call <c>ConfigureFunctionsWebApplication()</c> too: the dashboard
    /// is an ASP.NET Core HTTP function.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is out of range; the message names it.</exception>
    public static SchedulerBuilder AddSchedulerFunctions(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        FunctionTimeoutLimit.Apply(builder.Configuration, AppContext.BaseDirectory);
        var scheduler = builder.Services.AddScheduler(builder.Configuration);
        builder.Services.AddSchedulerTelemetry(builder.Configuration, functionsWorker: true);
        builder.Services.AddSchedulerDashboard(builder.Configuration);
        builder.Services.AddHostedService<SchedulerStartup>();
        builder.Services.AddHostedService<LayoutMigrationService>();
        builder.Services.AddSingleton<WorkerShutdown>().AddHostedService(sp => sp.GetRequiredService<WorkerShutdown>()); // stops before the others
        return scheduler;
    }
}
