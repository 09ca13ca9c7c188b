using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Scheduler.Hosting;
using Scheduler.Functions;
using Scheduler.Functions.Dashboard;
using Scheduler.Functions.Standalone;
using Scheduler.Functions.Telemetry;

if (args.Contains(StandaloneHost.Flag))
{
    return await StandaloneHost.RunAsync(args);
}

// The Functions host: Core Tools locally (func start), the Function App in Azure.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication(); // the dashboard's HTTP functions use ASP.NET Core's HttpRequest
FunctionTimeoutLimit.Apply(builder.Configuration, AppContext.BaseDirectory);
builder.Services.AddSchedulerApp(builder.Configuration);
builder.Services.AddSchedulerTelemetry(builder.Configuration, functionsWorker: true);
builder.Services.AddSchedulerDashboard(builder.Configuration);
builder.Services.AddHostedService<SchedulerStartup>();
builder.Services.AddSingleton<WorkerShutdown>().AddHostedService(sp => sp.GetRequiredService<WorkerShutdown>()); // last: stops first
await builder.Build().RunAsync();
return 0;
