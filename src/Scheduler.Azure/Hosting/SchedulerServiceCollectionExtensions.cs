using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Storage;
using Scheduler.Jobs;

namespace Scheduler.Hosting;

public static class SchedulerServiceCollectionExtensions
{
    /// <summary>Registers the scheduler with storage and options from configuration (sections "SchedulerStorage" and "Scheduler").</summary>
    public static SchedulerBuilder AddScheduler(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(SchedulerOptions.Section).Get<SchedulerOptions>() ?? new SchedulerOptions();

        // App settings are flat strings: "imports,reports" is as valid as the indexed form (...__AllowedContainers__0).
        if (configuration[$"{SchedulerOptions.Section}:Inputs:AllowedContainers"] is { Length: > 0 } flat)
        {
            options.Inputs.AllowedContainers.Add(flat);
        }

        return services.AddScheduler(() => StorageConnection.FromConfiguration(configuration), options);
    }

    /// <summary>
    /// Registers the scheduler with an explicit connection and options (tests, benchmarks, tools). The options are
    /// copied (the object given is not changed) and validated here, at start-up: a setting out of range fails now,
    /// naming it (<see cref="SchedulerOptionsValidator"/>). Also available as <c>IOptions&lt;SchedulerOptions&gt;</c>.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is out of range; the message names each one.</exception>
    public static SchedulerBuilder AddScheduler(this IServiceCollection services, Func<StorageConnection> connection, SchedulerOptions options)
    {
        options = options.Copy();
        options.Inputs.AllowedContainers = [.. options.Inputs.AllowedContainers.SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
        SchedulerOptionsValidator.ThrowIfInvalid(options);
        ThreadPoolReserve.Ensure(options.Parallelism);
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddSingleton(options);
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(_ => connection());
        services.AddSingleton<StorageRequestCounter>();
        services.AddSingleton(sp => sp.GetRequiredService<StorageConnection>().CreateTableService(sp.GetRequiredService<StorageRequestCounter>()));
        services.AddSingleton(sp => sp.GetRequiredService<StorageConnection>().CreateBlobService(sp.GetRequiredService<StorageRequestCounter>()));
        services.AddSingleton(sp => sp.GetRequiredService<StorageConnection>().CreateQueueService(sp.GetRequiredService<StorageRequestCounter>()));
        services.AddSingleton(sp => new SchedulerTables(sp.GetRequiredService<Azure.Data.Tables.TableServiceClient>(), options.Tables));
        services.AddSingleton<DefinitionStore>();
        services.AddSingleton<StateStore>();
        services.AddSingleton<LayoutMove>();
        services.AddSingleton<StateLocator>();
        services.AddSingleton<LayoutMigration>();
        services.AddSingleton<ShardStore>();
        services.AddSingleton<DueIndex>();
        services.AddSingleton<ShardLeases>();
        services.AddSingleton<JobCatalogStore>();
        services.AddSingleton<JobCatalog>();
        services.AddSingleton(sp => sp.GetRequiredService<JobCatalog>().Validation);
        services.AddSingleton<DefinitionResolver>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<DefinitionApplier>();
        services.AddSingleton<RowQuarantine>();
        services.AddSingleton<LedgerRecovery>();
        services.AddSingleton<StateRepair>();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<DispatchLanes>();
        services.AddSingleton<ScheduleDispatch>();
        services.AddSingleton<ShardBatch>();
        services.AddSingleton<Telemetry.SchedulerMetrics>();
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<TickDriver>();
        services.AddSingleton<RunCompletion>();
        services.AddSingleton<ConflictRetry>();
        services.AddSingleton<AbandonedRuns>();
        services.AddSingleton<OccurrenceQueue>();
        services.AddSingleton<OccurrenceExecutor>();
        services.AddSingleton(sp => new ScheduleAdmin(sp.GetRequiredService<DefinitionStore>(), sp.GetRequiredService<StateStore>(), sp.GetRequiredService<DueIndex>(),
            sp.GetRequiredService<Scheduler.Schedules.ValidationContext>(), sp.GetRequiredService<ConflictRetry>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<LedgerAudit>();
        services.AddSingleton<SchedulerInitializer>();
        return new SchedulerBuilder(services);
    }
}

/// <summary>Registers jobs by name: <c>AddScheduler(configuration).AddJob&lt;FileImportJob&gt;("file-import")</c>.</summary>
public sealed class SchedulerBuilder(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>Registers <typeparamref name="TJob"/> under <paramref name="name"/>; it is resolved from a fresh scope for every run.</summary>
    public SchedulerBuilder AddJob<TJob>(string name, string description = "", string exampleArgs = "{}")
        where TJob : class, IJob
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128)
        {
            throw new ArgumentException("a job name must be 1 to 128 characters", nameof(name));
        }

        if (Services.Select(d => d.ImplementationInstance).OfType<JobRegistration>().FirstOrDefault(r => r.Name == name) is { } existing)
        {
            throw new ArgumentException($"job \"{name}\" is registered twice ({existing.HandlerType.Name} and {typeof(TJob).Name}); give each job its own name", nameof(name));
        }

        Services.AddKeyedScoped<IJob, TJob>(name);
        Services.AddSingleton(new JobRegistration(name, typeof(TJob), description, exampleArgs));
        return this;
    }
}
