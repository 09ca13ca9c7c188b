using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Scheduler.Azure.Admin;
using Scheduler.Azure.Dispatch;
using Scheduler.Azure.Tests.Fixtures;
using Scheduler.Functions.Jobs;
using Scheduler.Functions.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Functions.Tests;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class FileImportTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Key = new("default", "import");

    private static async Task<List<TableEntity>> RowsAsync(AppHarness app, string table) =>
        await app.Tables.Service.GetTableClient(table).QueryAsync<TableEntity>(e => e.PartitionKey != FileImportJob.MarkerPartition && e.PartitionKey != FileImportJob.StatePartition).ToListAsync();

    private async Task<BlobContainerClient> UploadAsync(AppHarness app, params (string Name, string Content)[] files)
    {
        var container = new BlobContainerClient(azurite.ConnectionString, app.InputContainer);
        await container.CreateIfNotExistsAsync();
        foreach (var (name, content) in files)
        {
            await container.UploadBlobAsync(name, BinaryData.FromString(content));
        }

        return container;
    }

    [Fact]
    public async Task Import_LoadsGoodFiles_QuarantinesMalformedOne_WithItsLineNumber()
    {
        // Arrange
        await using var app = await AppHarness.StartAsync(azurite);
        var container = await UploadAsync(app,
            ("incoming/north.csv", "id;name;city\n1;Ada;London\n2;\"Hopper; Grace\";Arlington\n"),
            ("incoming/broken.csv", "id;name;city\n3;Alan;Wilmslow\n4;Barbara\n"));
        var table = app.Prefix + "customers";
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "file-import", RunAt = DateTimeOffset.UtcNow, Input = $"{app.InputContainer}/incoming/", Args = new { table, delimiter = ";" },
        });

        // Act
        await app.Get<Dispatcher>().TickAsync();

        // Assert
        var rows = await RowsAsync(app, table);
        Assert.Equal([("north", "1", "Ada"), ("north", "2", "Hopper; Grace")], rows.Select(r => (r.PartitionKey, r.RowKey, r.GetString("name"))).OrderBy(r => r.RowKey));
        var names = await container.GetBlobsAsync().Select(b => b.Name).ToListAsync();
        Assert.Equal(["failed/broken.csv", "processed/north.csv"], names.Order());
        var failed = await container.GetBlobClient("failed/broken.csv").GetPropertiesAsync();
        Assert.Equal("line 3: expected 3 fields, found 2", failed.Value.Metadata["error"]);
        Assert.Equal(RunStatus.Succeeded, Assert.Single(await app.States.ReadRunsAsync(Key)).Status);
    }

    [Fact]
    public async Task Import_NeverImportsTwice_WhenTheSameOccurrenceRunsAgainAfterACrashBeforeTheMove()
    {
        // Arrange: a lease on the blob makes the first run's move fail, as a crash after the import would leave it
        await using var app = await AppHarness.StartAsync(azurite);
        var container = await UploadAsync(app, ("incoming/a.csv", "id,name\n1,Ada\n2,Grace\n"));
        var lease = container.GetBlobClient("incoming/a.csv").GetBlobLeaseClient();
        await lease.AcquireAsync(TimeSpan.FromSeconds(15));
        var table = app.Prefix + "customers";
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "file-import", Cron = "0 0 1 1 *", Input = $"{app.InputContainer}/incoming/", Args = new { table },
        });
        await app.Get<Dispatcher>().TickAsync();
        var due = await app.Get<ScheduleAdmin>().TriggerNowAsync(Key);
        await app.Get<Dispatcher>().TickAsync();
        var afterFirst = (await RowsAsync(app, table)).ToDictionary(r => r.RowKey, r => r.ETag);

        // Act: the same occurrence again (say, a retry claimed for the queue), with the blob still in place
        await lease.ReleaseAsync();
        var executor = app.Get<OccurrenceExecutor>();
        var state = (await app.States.GetAsync(Key))!;
        var rerun = new Scheduler.Planning.ClaimedRun(due, 2, Scheduler.Planning.ClaimReason.Retry, DateTimeOffset.UtcNow.AddMinutes(5));
        await app.States.CommitPlanAsync(state, new Scheduler.Planning.Plan(state.State with { InFlight = [new Scheduler.Planning.InFlightRun(due, 2, rerun.LeaseUntil, "test", DateTimeOffset.UtcNow, Queued: true)] }, [rerun], [], []), state.WakeAt, "test", DateTimeOffset.UtcNow, default);
        await executor.ExecuteAsync(new OccurrenceMessage(Key.Value, due, 2, rerun.Reason, rerun.LeaseUntil), default);

        // Assert: both runs succeeded, the rows were written once (unchanged ETags), the blob is now processed
        Assert.Equal(2, afterFirst.Count);
        Assert.Equal(afterFirst, (await RowsAsync(app, table)).ToDictionary(r => r.RowKey, r => r.ETag));
        Assert.Equal(["processed/a.csv"], await container.GetBlobsAsync().Select(b => b.Name).ToListAsync());
        var runs = await app.States.ReadRunsAsync(Key);
        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal([1, 2], runs.Select(r => r.Attempt).Order());
    }

    [Fact]
    public async Task Import_MissingContainer_IsAClearFailureInTheLedger()
    {
        // Arrange
        await using var app = await AppHarness.StartAsync(azurite);
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "file-import", RunAt = DateTimeOffset.UtcNow, Input = $"{app.InputContainer}/incoming/", Args = new { table = app.Prefix + "customers" },
        });

        // Act
        await app.Get<Dispatcher>().TickAsync();

        // Assert
        var run = Assert.Single(await app.States.ReadRunsAsync(Key));
        Assert.Equal((RunStatus.Failed, "JobInputException"), (run.Status, run.ErrorType));
        Assert.Contains($"input container \"{app.InputContainer}\" does not exist", run.ErrorMessage);
    }

    [Fact]
    public async Task Import_IsSkipped_WhenNoInputChangedSinceLastSuccess()
    {
        // Arrange
        await using var app = await AppHarness.StartAsync(azurite);
        await UploadAsync(app, ("other/keep.txt", "x"));
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "file-import", Cron = "0 0 1 1 *", Input = $"{app.InputContainer}/incoming/", Args = new { table = app.Prefix + "customers", skipIfUnchanged = true },
        });
        await app.Get<Dispatcher>().TickAsync();

        // Act
        await app.Get<ScheduleAdmin>().TriggerNowAsync(Key);
        await app.Get<Dispatcher>().TickAsync();
        await app.Get<ScheduleAdmin>().TriggerNowAsync(Key);
        await app.Get<Dispatcher>().TickAsync();

        // Assert
        var runs = (await app.States.ReadRunsAsync(Key)).OrderBy(r => r.Due).ToList();
        Assert.Equal([RunStatus.Succeeded, RunStatus.Skipped], runs.Select(r => r.Status));
        Assert.Contains("changed since the last successful import", runs[1].Reason);
    }
}
