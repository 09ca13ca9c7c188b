using Microsoft.Extensions.Hosting;
using Scheduler.Storage;

namespace Scheduler.Functions;

/// <summary>Moves tables of layout 2 to layout 3 in the background from start-up, while the host dispatches (<see cref="LayoutMigration"/>); on layout 3 it ends at once.</summary>
internal sealed class LayoutMigrationService(LayoutMigration migration) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await migration.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: the next start goes on where this one stopped
        }
    }
}
