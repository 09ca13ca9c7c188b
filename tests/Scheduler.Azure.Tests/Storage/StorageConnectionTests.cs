using Microsoft.Extensions.Configuration;
using Scheduler.Storage;

namespace Scheduler.Storage.Tests.Storage;

public sealed class StorageConnectionTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build();

    [Fact]
    public void FromConfiguration_FailsFast_NamingTheMissingSettings()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => StorageConnection.FromConfiguration(Config()));
        Assert.Contains("set 'SchedulerStorage' to a connection string (locally: UseDevelopmentStorage=true)", ex.Message);
        Assert.EndsWith("Missing: SchedulerStorage__tableServiceUri SchedulerStorage__blobServiceUri", ex.Message);
    }

    [Fact]
    public void FromConfiguration_NamesOnlyWhatIsMissing()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => StorageConnection.FromConfiguration(Config(("SchedulerStorage:tableServiceUri", "https://a.table.core.windows.net"))));
        Assert.EndsWith("Missing: SchedulerStorage__blobServiceUri", ex.Message);
    }

    [Fact]
    public void FromConfiguration_UsesManagedIdentity_WithServiceUris()
    {
        var connection = StorageConnection.FromConfiguration(Config(
            ("SchedulerStorage:tableServiceUri", "https://a.table.core.windows.net"),
            ("SchedulerStorage:blobServiceUri", "https://a.blob.core.windows.net"),
            ("SchedulerStorage:credential", "managedidentity"),
            ("SchedulerStorage:clientId", "00000000-0000-0000-0000-000000000001")));
        Assert.Null(connection.ConnectionString);
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(connection.Credential);
        Assert.Equal(new Uri("https://a.table.core.windows.net"), connection.TableServiceUri);
    }

    [Fact]
    public void FromConfiguration_TakesAConnectionString()
    {
        Assert.Equal("UseDevelopmentStorage=true", StorageConnection.FromConfiguration(Config(("SchedulerStorage", "UseDevelopmentStorage=true"))).ConnectionString);
    }
}
