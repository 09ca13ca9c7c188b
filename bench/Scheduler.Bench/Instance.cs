using Azure.Core.Pipeline;
using Scheduler.Development;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Storage;

namespace Scheduler.Bench;

/// <summary>One dispatcher instance as an app would build it (same registrations), over a table prefix.</summary>
internal sealed class Instance : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    /// <param name="profile">Every table request passes it (the Azure profile), after the request counter.</param>
    /// <param name="countKinds">
    /// False where the process's memory is measured: <see cref="RequestKinds"/> copies every transaction's body to
    /// read it (in the memory child's 20 s of ticks at 100,000 schedules, about 0.7 GB more allocated, 110 MiB of it
    /// strings on the large-object heap), which a deployed dispatcher does not.
    /// </param>
    public Instance(string connectionString, string prefix, string name, Action<SchedulerOptions>? configure = null, AzureProfilePolicy? profile = null, bool countKinds = true)
    {
        var options = new SchedulerOptions { InstanceId = name, LedgerRetention = 1_000_000 };
        options.Tables.Prefix = prefix;
        configure?.Invoke(options);
        Kinds = new RequestKinds(prefix);
        HttpPipelinePolicy?[] policies = [countKinds ? Kinds : null, profile];
        HttpPipelinePolicy[] after = [.. policies.OfType<HttpPipelinePolicy>()];
        _services = SchedulerServices.Build(connectionString, options, jobs => jobs.AddJob<NoopJob>("noop"), quiet: true, services: s =>
            s.AddSingleton(sp => sp.GetRequiredService<StorageConnection>().CreateTableService(sp.GetRequiredService<StorageRequestCounter>(), after)));
    }

    public SchedulerOptions Options => _services.GetRequiredService<SchedulerOptions>();
    public Dispatcher Dispatcher => _services.GetRequiredService<Dispatcher>();
    public TickDriver Driver => _services.GetRequiredService<TickDriver>();
    public Reconciler Reconciler => _services.GetRequiredService<Reconciler>();
    public SchedulerTables Tables => _services.GetRequiredService<SchedulerTables>();
    public DueIndex Index => _services.GetRequiredService<DueIndex>();
    /// <summary>This instance's table requests by table and kind (none counted when built without <c>countKinds</c>).</summary>
    public RequestKinds Kinds { get; }

    public StorageRequestCounter Requests => _services.GetRequiredService<StorageRequestCounter>();
    public ScheduleAdmin Admin => _services.GetRequiredService<ScheduleAdmin>();
    public IServiceProvider Services => _services;

    public Task InitializeAsync() => _services.GetRequiredService<SchedulerInitializer>().InitializeAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
