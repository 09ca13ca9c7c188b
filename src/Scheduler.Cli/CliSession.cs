using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Admin;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Schedules;

namespace Scheduler.Cli;

/// <summary>
/// What a command works with: the same stores and validator as the dispatcher, over the account named by --connection,
/// SCHEDULER_STORAGE, or --account-url (Entra ID via DefaultAzureCredential); development storage by default.
/// The validation context is the one the app published (its jobs and allowed input containers).
/// </summary>
internal sealed class CliSession : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private CliSession(ServiceProvider provider, ValidationContext published)
    {
        _provider = provider;
        Published = published;
    }

    public ValidationContext Published { get; }
    public DefinitionStore Definitions => _provider.GetRequiredService<DefinitionStore>();
    public StateStore States => _provider.GetRequiredService<StateStore>();
    public JobCatalogStore Catalog => _provider.GetRequiredService<JobCatalogStore>();
    public SchedulerTables Tables => _provider.GetRequiredService<SchedulerTables>();
    public TimeProvider Clock => _provider.GetRequiredService<TimeProvider>();
    public DueIndex Index => _provider.GetRequiredService<DueIndex>();
    public ShardStore Shards => _provider.GetRequiredService<ShardStore>();
    public RowQuarantine Quarantine => _provider.GetRequiredService<RowQuarantine>();

    /// <summary>An admin API that accepts <paramref name="job"/> even when the catalog lacks it (the CLI warns instead).</summary>
    public ScheduleAdmin AdminAccepting(string? job) =>
        new(Definitions, States, _provider.GetRequiredService<DueIndex>(), Accepting(job), _provider.GetRequiredService<ConflictRetry>(), Clock);

    public ValidationContext Accepting(string? job) => Published.Accepting(job);

    public static async Task<CliSession> OpenAsync(GlobalOptions options, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var connection = Connection(options, environment);
        var schedulerOptions = new SchedulerOptions { Tables = new TableNames { Prefix = options.TablePrefix ?? environment("SCHEDULER_TABLE_PREFIX") ?? "" } };
        var services = new ServiceCollection();
        services.AddScheduler(() => connection, schedulerOptions);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<SchedulerTables>().CreateIfMissingAsync(cancellationToken);
        var published = await provider.GetRequiredService<JobCatalogStore>().ReadValidationAsync(cancellationToken);
        return new CliSession(provider, published);
    }

    private static StorageConnection Connection(GlobalOptions options, Func<string, string?> environment)
    {
        if ((options.Connection ?? environment("SCHEDULER_STORAGE")) is { Length: > 0 } connectionString)
        {
            return StorageConnection.FromConnectionString(connectionString);
        }

        if ((options.AccountUrl ?? environment("SCHEDULER_ACCOUNT_URL")) is { Length: > 0 } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Split('.') is not [var account, var service, ..] || service is not ("table" or "blob" or "queue"))
            {
                throw new CliUserException($"--account-url \"{url}\" is not a storage endpoint; use e.g. https://<account>.table.core.windows.net");
            }

            Uri Endpoint(string kind) => new($"{uri.Scheme}://{uri.Host.Replace($"{account}.{service}.", $"{account}.{kind}.", StringComparison.Ordinal)}/");
            return StorageConnection.FromServiceUris(Endpoint("table"), Endpoint("blob"), Endpoint("queue"), new DefaultAzureCredential());
        }

        return StorageConnection.FromConnectionString("UseDevelopmentStorage=true");
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

/// <summary>Options every command takes.</summary>
internal sealed record GlobalOptions(string? Connection, string? AccountUrl, string? TablePrefix, bool Json);
