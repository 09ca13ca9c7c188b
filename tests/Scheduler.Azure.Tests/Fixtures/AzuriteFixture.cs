using Scheduler.Development;

namespace Scheduler.Storage.Tests.Fixtures;

/// <summary>
/// A real Azurite from the repository's node_modules on free loopback ports with in-memory persistence, started once
/// for every test in the collection and stopped afterwards.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;

    public string ConnectionString => _azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite is not started");

    public async Task InitializeAsync() =>
        _azurite = await AzuriteProcess.StartInMemoryOnFreePortsAsync(RepositoryRoot());

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    public static string RepositoryRoot() =>
        AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("could not find the repository root (package.json next to Scheduler.sln) above " + AppContext.BaseDirectory);
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
