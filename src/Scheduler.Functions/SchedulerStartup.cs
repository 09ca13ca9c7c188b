using Microsoft.Extensions.Hosting;
using Scheduler.Hosting;

namespace Scheduler.Functions;

/// <summary>Creates missing tables and publishes the job catalog when a host starts.</summary>
internal sealed class SchedulerStartup(SchedulerInitializer initializer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => initializer.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
