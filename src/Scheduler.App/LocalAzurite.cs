using Scheduler.Development;
using Scheduler.Functions.Standalone;

namespace Scheduler.App;

/// <summary>
/// The one-command local run's storage: with development storage configured and nothing on Azurite's ports, starts
/// Azurite from the repository's node_modules (data in .azurite/) and points SchedulerStorage at it. Stopped when disposed.
/// </summary>
internal sealed class LocalAzurite(AzuriteProcess process) : IAsyncDisposable
{
    public static async Task<LocalAzurite?> StartIfNeededAsync(string[] args)
    {
        var configuration = LocalSettings.Layered(LocalSettings.ReadValues(Path.Combine(AppContext.BaseDirectory, LocalSettings.FileName)), args);
        if (!string.Equals(configuration["SchedulerStorage"]?.Trim(), "UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        int[] ports = [AzuriteProcess.DefaultBlobPort, AzuriteProcess.DefaultQueuePort, AzuriteProcess.DefaultTablePort];
        var taken = ports.Where(AzuriteProcess.IsListening).ToList();
        if (taken.Count == ports.Length)
        {
            return null; // an Azurite (or the storage emulator) already runs
        }

        if (taken.Count > 0)
        {
            throw new InvalidOperationException(
                $"port{(taken.Count == 1 ? "" : "s")} {string.Join(" and ", taken)} {(taken.Count == 1 ? "is" : "are")} in use by another program, so Azurite cannot start on " +
                $"{string.Join(", ", ports)} (blob, queue, table); stop that program, start Azurite yourself on all three ports, or set SchedulerStorage in local.settings.json to a storage account's connection string");
        }

        var root = AzuriteProcess.FindRepositoryRoot(Directory.GetCurrentDirectory()) ?? AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("Development storage is configured and nothing listens on Azurite's ports, and no repository (package.json next to Scheduler.sln) was found to start Azurite from; start Azurite yourself or run from the repository.");
        Console.WriteLine($"Starting Azurite from {root}/node_modules (data in {Path.Combine(root, ".azurite")})");
        var azurite = await AzuriteProcess.StartAsync(root, Path.Combine(root, ".azurite"),
            AzuriteProcess.DefaultBlobPort, AzuriteProcess.DefaultQueuePort, AzuriteProcess.DefaultTablePort);
        Environment.SetEnvironmentVariable("SchedulerStorage", azurite.ConnectionString); // above local.settings.json, below arguments
        return new LocalAzurite(azurite);
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
