using Scheduler.Development;

namespace Scheduler.FunctionsHost.Tests.Fixtures;

/// <summary>
/// What every real-host test shares: the host built by the kit and one Azurite on free loopback ports. Each test
/// makes its own <see cref="Deployment"/> (table prefix, queue, host id), so tests share no tables, queues or timer locks.
/// </summary>
public sealed class HostTierFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;

    /// <summary>Why the tier is skipped here (no kit outside CI), or null.</summary>
    public string? SkipReason { get; private set; }

    public string HostDirectory { get; private set; } = "";

    public string ConnectionString => _azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite is not started");

    public string LogDirectory { get; } = Path.Combine(Path.GetTempPath(), "scheduler-functions-host", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));

    public async Task InitializeAsync()
    {
        SkipReason = FunctionsHostKit.Unavailable();
        if (SkipReason is not null)
        {
            return;
        }

        HostDirectory = await FunctionsHostKit.BuildAsync();
        _azurite = await AzuriteProcess.StartInMemoryOnFreePortsAsync(FunctionsHostKit.RepositoryRoot);
    }

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class HostTierCollection : ICollectionFixture<HostTierFixture>
{
    public const string Name = "Functions host";
}
