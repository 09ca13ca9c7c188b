using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class JobRunTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Key = new("default", "job");

    private Task<SchedulerHarness> StartAsync(string container = "imports", Action<Scheduler.Hosting.SchedulerOptions>? configure = null) =>
        SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs
                .AddJob<FailingJob>("fail").AddJob<HangingJob>("hang").AddJob<StubbornJob>("stubborn")
                .AddJob<ScopedJob>("scoped").AddJob<LeakyReaderJob>("read").AddJob<ArgsJob>("args").AddJob<RecordingJob>("record"),
            configure: o =>
            {
                o.Inputs.AllowedContainers.Add(container);
                o.AbandonGrace = TimeSpan.FromSeconds(1);
                configure?.Invoke(o);
            },
            services: s => s.AddScoped<ScopedProbe>().AddSingleton<StreamLog>().AddSingleton<RunRecorder>());

    private static async Task TickUntilAsync(SchedulerHarness harness, Func<Task<bool>> done, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done() && DateTime.UtcNow < deadline)
        {
            await harness.Dispatcher.TickAsync();
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task FailingJob_IsRetriedWithBackoff_AndEveryAttemptIsInTheLedger()
    {
        // Arrange
        await using var harness = await StartAsync();
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "fail"), ("RunAt", DateTimeOffset.UtcNow), ("MaxAttempts", 3), ("RetryBackoffSeconds", 1));

        // Act
        await TickUntilAsync(harness, async () => (await harness.States.ReadRunsAsync(Key)).Count(r => r.Status == RunStatus.Failed) >= 3);

        // Assert
        var runs = (await harness.States.ReadRunsAsync(Key)).OrderBy(r => r.Attempt).ToList();
        Assert.Equal([1, 2, 3], runs.Select(r => r.Attempt));
        Assert.All(runs, r => Assert.Equal((RunStatus.Failed, "InvalidOperationException"), (r.Status, r.ErrorType)));
        Assert.Equal("boom on attempt 3", runs[2].ErrorMessage);
        Assert.True(runs[2].StartedAt - runs[1].FinishedAt >= TimeSpan.FromSeconds(1.9), "second retry waits the doubled backoff");
        var state = (await harness.States.GetAsync(Key))!.State;
        Assert.Empty(state.Pending);
        Assert.Equal(RunStatus.Failed, state.LastStatus);
    }

    [Theory]
    [InlineData("hang", "cancelled after TimeoutSeconds=1")]
    [InlineData("stubborn", "ignored cancellation for 1s more; abandoned")]
    public async Task HandlerPastItsTimeout_IsRecordedTimedOut_AndOthersRun(string job, string message)
    {
        // Arrange
        await using var harness = await StartAsync();
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", job), ("RunAt", DateTimeOffset.UtcNow), ("TimeoutSeconds", 1));
        await harness.SchedulesTable.PutRawAsync("neighbour", ("Job", "record"), ("RunAt", DateTimeOffset.UtcNow));

        // Act
        var tick = await harness.Dispatcher.TickAsync();

        // Assert
        var run = Assert.Single(await harness.States.ReadRunsAsync(Key));
        Assert.Equal(RunStatus.TimedOut, run.Status);
        Assert.Contains(message, run.ErrorMessage);
        Assert.Equal(RunStatus.Succeeded, Assert.Single(await harness.States.ReadRunsAsync(new ScheduleKey("default", "neighbour"))).Status);
        Assert.Equal(1, tick.Failed);
    }

    [Fact]
    public async Task EveryRun_GetsAFreshScope_DisposedAfterIt()
    {
        // Arrange
        await using var harness = await StartAsync();
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "scoped"), ("Cron", "0 0 1 1 *"));
        await harness.Dispatcher.TickAsync();
        var createdBefore = ScopedProbe.Created;
        var disposedBefore = ScopedProbe.Disposed;

        // Act: three manual runs, each through the ordinary claim path
        for (var i = 0; i < 3; i++)
        {
            await harness.Admin.TriggerNowAsync(Key);
            await harness.Dispatcher.TickAsync();
        }

        // Assert
        Assert.Equal(3, ScopedProbe.Created - createdBefore);
        Assert.Equal(3, ScopedProbe.Disposed - disposedBefore);
        var runs = await harness.States.ReadRunsAsync(Key);
        Assert.Equal(3, runs.Count(r => r.Status == RunStatus.Succeeded));
        Assert.All(runs, r => Assert.Equal("Manual", r.Reason));
    }

    [Fact]
    public async Task Inputs_AreReadPerRun_RecordedWithETags_AndDisposed()
    {
        // Arrange
        var container = "in-" + Guid.NewGuid().ToString("N")[..12];
        await using var harness = await StartAsync(container);
        var blobs = new BlobContainerClient(azurite.ConnectionString, container);
        await blobs.CreateAsync();
        await blobs.UploadBlobAsync("incoming/a.csv", BinaryData.FromString("id;name\n1;ada\n"));
        await blobs.UploadBlobAsync("incoming/b.csv", BinaryData.FromString("id;name\n2;grace\n"));
        await blobs.UploadBlobAsync("elsewhere/c.csv", BinaryData.FromString("not mine"));
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "read"), ("RunAt", DateTimeOffset.UtcNow), ("Input", $"{container}/incoming/"));

        // Act
        await harness.Dispatcher.TickAsync();

        // Assert
        var log = harness.Services.GetRequiredService<StreamLog>();
        Assert.Equal(["incoming/a.csv", "incoming/b.csv"], log.Contents.Keys.Order());
        Assert.Equal("id;name\n1;ada\n", log.Contents["incoming/a.csv"]);
        Assert.All(log.Streams, s => Assert.False(s.CanRead, "the run disposed the stream the job left open"));
        var run = Assert.Single(await harness.States.ReadRunsAsync(Key));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        var read = JsonSerializer.Deserialize<Dictionary<string, string>>(run.InputsRead!)!;
        Assert.Equal((await blobs.GetBlobClient("incoming/a.csv").GetPropertiesAsync()).Value.ETag.ToString().Trim('"'), read["incoming/a.csv"]);
    }

    [Fact]
    public async Task MissingInputContainer_IsAClearJobFailure()
    {
        // Arrange
        var container = "gone-" + Guid.NewGuid().ToString("N")[..12];
        await using var harness = await StartAsync(container);
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "read"), ("RunAt", DateTimeOffset.UtcNow), ("Input", $"{container}/incoming/"));

        // Act
        var tick = await harness.Dispatcher.TickAsync();

        // Assert
        Assert.Empty(tick.Errors);
        var run = Assert.Single(await harness.States.ReadRunsAsync(Key));
        Assert.Equal((RunStatus.Failed, "JobInputException"), (run.Status, run.ErrorType));
        Assert.Equal($"input container \"{container}\" does not exist; create it or fix the Input of schedule job", run.ErrorMessage);
    }

    [Fact]
    public async Task Args_AreTypedData_AndTheIdempotencyKeyNamesTheOccurrence()
    {
        // Arrange
        await using var harness = await StartAsync();
        var due = DateTimeOffset.UtcNow;
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "args"), ("RunAt", due), ("Args", "{\"delimiter\":\";\",\"skip\":2}"));

        // Act
        await harness.Dispatcher.TickAsync();

        // Assert
        var log = harness.Services.GetRequiredService<StreamLog>();
        Assert.Equal(";|2|1", log.Contents[Scheduler.Jobs.IdempotencyKeys.For(Key, due)]);
    }

    [Fact]
    public async Task Ledger_IsPrunedToRetention()
    {
        // Arrange
        await using var harness = await StartAsync(configure: o => o.LedgerRetention = 10);
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "record"), ("Cron", "0 0 1 1 *"));
        await harness.Dispatcher.TickAsync();
        for (var i = 0; i < 25; i++)
        {
            await harness.Admin.TriggerNowAsync(Key);
        }

        // Act
        await harness.Dispatcher.TickAsync();
        var afterTick = await harness.States.ReadRunsAsync(Key);
        await harness.States.PruneAsync(Key, Scheduler.Storage.HistoryRows.Runs, 10);
        var afterPrune = await harness.States.ReadRunsAsync(Key);

        // Assert
        Assert.InRange(afterTick.Count, 10, 19);
        Assert.Equal(10, afterPrune.Count);
        Assert.Equal(afterTick.Take(10).Select(r => r.RowKey), afterPrune.Select(r => r.RowKey));
    }
}
