using Scheduler.Development;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Jobs;
using Scheduler.Schedules;

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

    /// <summary>Where this deployment's state table keeps <paramref name="key"/>'s state row (a person's edits of it in tests go there).</summary>
    public async Task<TableEntity> StateRowAsync(ScheduleKey key) => (await States.LayoutAsync()).StateEntity(key);

    /// <summary>Writes the layout row of tables from before layout 3 (a partition per schedule) under <paramref name="prefix"/>, as an older version left them.</summary>
    public static async Task SeedLayoutTwoAsync(AzuriteFixture azurite, string prefix, int shards = 8)
    {
        var due = new TableClient(azurite.ConnectionString, prefix + new TableNames().DueIndex);
        await due.CreateIfNotExistsAsync();
        await due.AddEntityAsync(Layouts.New(PerScheduleLayout.Instance.Version, shards));
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
