using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.App.Jobs;
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
        await app.Tables.Service.GetTableClient(table).QueryAsync<TableEntity>().ToListAsync();

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
        var table = "customers" + app.Prefix;
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
        var table = "customers" + app.Prefix;
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
            Job = "file-import", RunAt = DateTimeOffset.UtcNow, Input = $"{app.InputContainer}/incoming/", Args = new { table = "customers" + app.Prefix },
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
            Job = "file-import", Cron = "0 0 1 1 *", Input = $"{app.InputContainer}/incoming/", Args = new { table = "customers" + app.Prefix, skipIfUnchanged = true },
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

    [Fact]
    public async Task Import_StreamsQuotedLineBreaks_AndEachBadFileGoesToFailedWithoutBlockingTheOthers()
    {
        // Arrange: good files beside every kind of file the import must refuse
        await using var app = await AppHarness.StartAsync(azurite);
        var container = await UploadAsync(app,
            ("incoming/good.csv", "id,note\n1,\"two\nlines, and a \"\"quote\"\"\"\n2,plain\n"),
            ("incoming/reserved.csv", "id,PartitionKey,name\n1,_state,forged\n"),
            ("incoming/etag.csv", "id,name,odata.etag\n1,x,y\n"),
            ("incoming/dupes.csv", "id,name\n1,first\n1,second\n"),
            ("incoming/huge.csv", $"id,blob\n1,{new string('x', 40_000)}\n"),
            ("incoming/file.csv", "id,name\n1,not-a-marker\n"),
            ("incoming/short.csv", "id,name,city\n1,a,b\n2,c\n"));
        var table = "customers" + app.Prefix;
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "file-import", RunAt = DateTimeOffset.UtcNow, Input = $"{app.InputContainer}/incoming/", Args = new { table },
        });

        // Act
        await app.Get<Dispatcher>().TickAsync();

        // Assert: the good files imported (a repeated key: the later row wins), the others in failed/ with the reason
        var rows = await RowsAsync(app, table);
        Assert.Equal(
            [("dupes", "1", "second"), ("file", "1", "not-a-marker"), ("good", "1", "two\nlines, and a \"quote\""), ("good", "2", "plain")],
            rows.Select(r => (r.PartitionKey, r.RowKey, r.GetString("note") ?? r.GetString("name"))).OrderBy(r => r.PartitionKey).ThenBy(r => r.RowKey));
        var markers = await app.Tables.Service.GetTableClient(table + "Imports").QueryAsync<TableEntity>(e => e.PartitionKey == FileImportJob.MarkerPartition).ToListAsync();
        Assert.Equal(["incoming/dupes.csv", "incoming/file.csv", "incoming/good.csv"], markers.Select(m => m.GetString("Blob")).Order(StringComparer.Ordinal)); // kept apart from the data
        var names = await container.GetBlobsAsync().Select(b => b.Name).ToListAsync();
        Assert.Equal(["failed/etag.csv", "failed/huge.csv", "failed/reserved.csv", "failed/short.csv", "processed/dupes.csv", "processed/file.csv", "processed/good.csv"], names.Order(StringComparer.Ordinal));
        async Task<string> ErrorOf(string name) => (await container.GetBlobClient($"failed/{name}").GetPropertiesAsync()).Value.Metadata["error"];
        Assert.StartsWith("line 1, column 2: \"PartitionKey\" is a name Table Storage reserves", await ErrorOf("reserved.csv"));
        Assert.StartsWith("line 1, column 3: \"odata.etag\"", await ErrorOf("etag.csv"));
        Assert.StartsWith("line 2, column 2: the field has 40,000 characters", await ErrorOf("huge.csv"));
        Assert.Equal("line 3: expected 3 fields, found 2", await ErrorOf("short.csv"));
        Assert.Equal(RunStatus.Succeeded, Assert.Single(await app.States.ReadRunsAsync(Key)).Status);
    }

    [Fact]
    public async Task Import_WithAWholeContainerAsInput_NeverReadsProcessedOrFailedAgain()
    {
        // Arrange
        await using var app = await AppHarness.StartAsync(azurite);
        var container = await UploadAsync(app, ("a.csv", "id,name\n1,Ada\n"), ("b.csv", "id,name\n1\n"));
        var table = "customers" + app.Prefix;
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec { Job = "file-import", Cron = "0 0 1 1 *", Input = app.InputContainer, Args = new { table } });
        await app.Get<Dispatcher>().TickAsync();
        await app.Get<ScheduleAdmin>().TriggerNowAsync(Key);
        await app.Get<Dispatcher>().TickAsync();

        // Act: a second run over the same container
        await app.Get<ScheduleAdmin>().TriggerNowAsync(Key);
        await app.Get<Dispatcher>().TickAsync();

        // Assert: the moved files stay where they are, and the second run read nothing
        Assert.Equal(["failed/b.csv", "processed/a.csv"], (await container.GetBlobsAsync().Select(b => b.Name).ToListAsync()).Order(StringComparer.Ordinal));
        var runs = (await app.States.ReadRunsAsync(Key)).OrderBy(r => r.Due).ToList();
        Assert.Equal([RunStatus.Succeeded, RunStatus.Succeeded], runs.Select(r => r.Status));
        Assert.Contains("a.csv", runs[0].InputsRead);
        Assert.Null(runs[1].InputsRead);
    }

    [Fact]
    public async Task SampleJobs_RefuseToWriteIntoTheSchedulersOwnTables()
    {
        // Arrange: the route to a forged due index row: a heartbeat whose Args name ScheduleDue
        await using var app = await AppHarness.StartAsync(azurite);
        var due = app.Tables.DueIndex.Name;
        var key = new ScheduleKey("default", "due");
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(key, new ScheduleSpec { Job = "heartbeat", RunAt = DateTimeOffset.UtcNow, Args = new { table = due } });
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "file-import", RunAt = DateTimeOffset.UtcNow, Input = $"{app.InputContainer}/incoming/", Args = new { table = app.Prefix + "Anything" },
        });

        // Act
        await app.Get<Dispatcher>().TickAsync();

        // Assert
        var beat = Assert.Single(await app.States.ReadRunsAsync(key));
        Assert.Equal((RunStatus.Failed, "ArgumentException"), (beat.Status, beat.ErrorType));
        Assert.Contains($"Args.table \"{due}\" is one of the scheduler's own tables", beat.ErrorMessage);
        var import = Assert.Single(await app.States.ReadRunsAsync(Key));
        Assert.Contains($"(or under its prefix \"{app.Prefix}\")", import.ErrorMessage);
        Assert.Empty(await app.Tables.DueIndex.QueryAsync<TableEntity>(e => e.PartitionKey == key.Id).ToListAsync());
    }

    [Fact]
    public async Task ListedNamesWithDotSegments_AreNeverHandedToTheJob()
    {
        // Arrange: a name with '..' segments that the service stores literally (a client would collapse "/../"; with
        // '\\' separators the SDK escapes them, yet a URL built by another client could turn them into '/')
        await using var app = await AppHarness.StartAsync(azurite);
        var container = await UploadAsync(app, ("incoming/good.csv", "id,name\n1,Ada\n"), ("incoming/zz\\..\\..\\secrets\\key.csv", "id,name\n1,stolen\n"));
        var secrets = new BlobContainerClient(azurite.ConnectionString, "secrets" + app.Prefix);
        await secrets.CreateIfNotExistsAsync();
        var listed = await container.GetBlobsAsync().Select(b => b.Name).ToListAsync();
        var table = "customers" + app.Prefix;
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec { Job = "file-import", RunAt = DateTimeOffset.UtcNow, Input = $"{app.InputContainer}/incoming/", Args = new { table } });

        // Act
        await app.Get<Dispatcher>().TickAsync();

        // Assert: the hostile name is listed by the service but never read, moved or written through
        Assert.Contains(listed, n => n.Contains("..", StringComparison.Ordinal));
        var run = Assert.Single(await app.States.ReadRunsAsync(Key));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.DoesNotContain("..", run.InputsRead, StringComparison.Ordinal);
        Assert.Equal([("good", "1")], (await RowsAsync(app, table)).Select(r => (r.PartitionKey, r.RowKey)));
        Assert.Empty(await secrets.GetBlobsAsync().ToListAsync());
        Assert.Contains((await container.GetBlobsAsync().Select(b => b.Name).ToListAsync()), n => n.Contains("..", StringComparison.Ordinal));
    }
}
