using Microsoft.Extensions.DependencyInjection;
using Scheduler.Azure.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Azure.Tests.Dispatch;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class SmokeTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Tick_RunsDueSchedule_WhenAddedThroughTable()
    {
        // Arrange
        var recorder = new RunRecorder();
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(),
            jobs => jobs.AddJob<RecordingJob>("record"), services: s => s.AddSingleton(recorder));
        await harness.SchedulesTable.PutRawAsync("every-second", ("Job", "record"), ("Cron", "* * * * * *"));

        // Act
        var first = await harness.Dispatcher.TickAsync();
        await Task.Delay(2100);
        var second = await harness.Dispatcher.TickAsync();

        // Assert
        var state = await harness.States.GetAsync(new ScheduleKey("default", "every-second"));
        Assert.NotNull(state);
        Assert.Equal(ScheduleStatus.Active, state.State.Status);
        Assert.True(second.Succeeded >= 1, $"second tick: {second}");
        var runs = await harness.States.ReadRunsAsync(new ScheduleKey("default", "every-second"));
        Assert.Contains(runs, r => r.Status == RunStatus.Succeeded);
        Assert.Equal(1, first.Edits);
    }
}
