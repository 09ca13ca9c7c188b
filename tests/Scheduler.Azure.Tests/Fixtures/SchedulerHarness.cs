using Scheduler.Development;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Jobs;

namespace Scheduler.Storage.Tests.Fixtures;

/// <summary>
/// One scheduler instance (its own DI container, instance id and request counter) over tables with a per-test prefix.
/// Several harnesses with the same prefix are several dispatchers sharing one storage account.
/// </summary>
internal sealed class SchedulerHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private SchedulerHarness(ServiceProvider provider) => _provider = provider;

    public IServiceProvider Services => _provider;
    public Dispatcher Dispatcher => _provider.GetRequiredService<Dispatcher>();
    public ScheduleAdmin Admin => _provider.GetRequiredService<ScheduleAdmin>();
    public StateStore States => _provider.GetRequiredService<StateStore>();
    public SchedulerTables Tables => _provider.GetRequiredService<SchedulerTables>();
    public Reconciler Reconciler => _provider.GetRequiredService<Reconciler>();
    public StorageRequestCounter Requests => _provider.GetRequiredService<StorageRequestCounter>();
    public TableClient SchedulesTable => Tables.Schedules;

    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..10];

    public static async Task<SchedulerHarness> StartAsync(
        AzuriteFixture azurite,
        string prefix,
        Action<SchedulerBuilder>? jobs = null,
        Action<SchedulerOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        string? instanceId = null)
    {
        var options = new SchedulerOptions { Tables = new TableNames { Prefix = prefix } };
        options.Inputs.AllowedContainers.Add("imports");
        if (instanceId is not null)
        {
            options.InstanceId = instanceId;
        }

        configure?.Invoke(options);
        return new SchedulerHarness(await SchedulerServices.StartAsync(azurite.ConnectionString, options, jobs, services));
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
