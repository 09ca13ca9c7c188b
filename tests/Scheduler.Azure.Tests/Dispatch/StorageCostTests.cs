using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Azure.Tests.Fixtures;

namespace Scheduler.Azure.Tests.Dispatch;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class StorageCostTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task IdleTick_CostsOneRequest_HoweverManySchedulesExist()
    {
        // Arrange: 500 schedules, none due; edits are re-read on their own cadence
        var recorder = new RunRecorder();
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => o.ReconcileInterval = TimeSpan.FromHours(1), services: s => s.AddSingleton(recorder));
        foreach (var chunk in Enumerable.Range(0, 500).Chunk(100))
        {
            await harness.SchedulesTable.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity("default", $"yearly-{i:D4}") { ["Job"] = "record", ["Cron"] = "0 0 1 1 *" })));
        }

        var reconcile = await harness.Dispatcher.TickAsync();

        // Act
        var idle = await harness.Dispatcher.TickAsync();

        // Assert
        Assert.Equal(500, reconcile.Edits);
        Assert.Equal(0, idle.DueEntries);
        Assert.Equal(1, idle.StorageRequests);
    }

    [Fact]
    public async Task DueOccurrence_CostsAtMostFourRequestsBesideTheIndexQuery()
    {
        // Arrange
        var recorder = new RunRecorder();
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => o.ReconcileInterval = TimeSpan.FromHours(1), services: s => s.AddSingleton(recorder));
        for (var i = 0; i < 10; i++)
        {
            await harness.SchedulesTable.PutRawAsync($"every-second-{i}", ("Job", "record"), ("Cron", "* * * * * *"));
        }

        await harness.Dispatcher.TickAsync();
        await Task.Delay(1100);
        await harness.Dispatcher.TickAsync(); // the first occurrences, to settle index entries

        // Act
        await Task.Delay(1000);
        var tick = await harness.Dispatcher.TickAsync();

        // Assert: read state, claim (state + ledger row), complete (state + ledger row), move the index entry
        Assert.InRange(tick.Succeeded, 10, 20);
        Assert.InRange(tick.StorageRequests, 1 + (3 * tick.Succeeded), 1 + (4 * tick.Succeeded));
    }
}
