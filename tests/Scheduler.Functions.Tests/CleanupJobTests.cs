using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Functions.Tests.Fixtures;
using Scheduler.Schedules;

namespace Scheduler.Functions.Tests;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class CleanupJobTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Cleanup_PrunesOldLedgerRows_AndKeepsRecentOnesAndRecentBlobs()
    {
        // Arrange: two ledger rows of another schedule, one finished 40 days ago, one an hour ago; a fresh processed blob
        await using var app = await AppHarness.StartAsync(azurite);
        var other = new ScheduleKey("default", "other");
        var old = DateTimeOffset.UtcNow.AddDays(-40);
        var recent = DateTimeOffset.UtcNow.AddHours(-1);
        var layout = await app.States.LayoutAsync();
        foreach (var finished in new[] { old, recent })
        {
            var row = layout.RunEntity(other, finished, 1);
            row["Status"] = "Succeeded";
            row["FinishedAt"] = finished.ToUniversalTime().ToString("O");
            await app.Tables.State.UpsertEntityAsync(row);
        }

        var container = new BlobContainerClient(azurite.ConnectionString, app.InputContainer);
        await container.CreateIfNotExistsAsync();
        await container.UploadBlobAsync("processed/fresh.csv", BinaryData.FromString("id\n1\n"));
        var cleanup = new ScheduleKey("default", "cleanup");
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(cleanup, new ScheduleSpec { Job = "cleanup", RunAt = DateTimeOffset.UtcNow, Args = new { days = 30 } });

        // Act
        await app.Get<Dispatcher>().TickAsync();

        // Assert
        var runs = await app.States.ReadRunsAsync(other);
        Assert.Equal([layout.RunRow(other, recent, 1)], runs.Select(r => r.RowKey));
        Assert.Equal(Scheduler.Runs.RunStatus.Succeeded, Assert.Single(await app.States.ReadRunsAsync(cleanup)).Status);
        Assert.True(await container.GetBlobClient("processed/fresh.csv").ExistsAsync());
    }
}
