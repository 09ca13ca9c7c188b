using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Storage;

namespace Scheduler.Development;

/// <summary>
/// The scheduler's services over one connection string, as the tests, the reliability harness and the benchmarks
/// set them up: one home for that wiring instead of a copy in each.
/// </summary>
public static class SchedulerServices
{
    /// <param name="jobs">The jobs to register.</param>
    /// <param name="services">Last word on the services (a test swaps in a clock or a client).</param>
    /// <param name="quiet">Logs at Warning and above only (benchmarks).</param>
    public static ServiceProvider Build(string connectionString, SchedulerOptions options, Action<SchedulerBuilder>? jobs = null,
        Action<IServiceCollection>? services = null, bool quiet = false)
    {
        var collection = new ServiceCollection();
        if (quiet)
        {
            collection.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        }

        var builder = collection.AddScheduler(() => StorageConnection.FromConnectionString(connectionString), options);
        jobs?.Invoke(builder);
        services?.Invoke(collection);
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    /// <summary><see cref="Build"/>, then the tables created and the job catalog published, as a host does at start.</summary>
    public static async Task<ServiceProvider> StartAsync(string connectionString, SchedulerOptions options, Action<SchedulerBuilder>? jobs = null,
        Action<IServiceCollection>? services = null, bool quiet = false)
    {
        var provider = Build(connectionString, options, jobs, services, quiet);
        await provider.GetRequiredService<SchedulerInitializer>().InitializeAsync();
        return provider;
    }
}
