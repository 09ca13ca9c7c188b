using Microsoft.Extensions.DependencyInjection;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class DefinitionEditTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Edited = new("default", "edited");
    private static readonly ScheduleKey Steady = new("default", "steady");

    private async Task<SchedulerHarness> StartAsync(RunRecorder recorder) =>
        await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"), services: s => s.AddSingleton(recorder));

    [Fact]
    public async Task RawTableEdits_ArePickedUpOnNextTick_IncludingInvalidAndFixed()
    {
        // Arrange
        var recorder = new RunRecorder();
        await using var harness = await StartAsync(recorder);
        var table = harness.SchedulesTable;
        await table.PutRawAsync(Steady.Id, ("Job", "record"), ("Cron", "* * * * * *"));
        await table.PutRawAsync(Edited.Id, ("Job", "record"), ("Cron", "0 0 1 1 *"));
        await harness.Dispatcher.TickAsync();
        var added = (await harness.States.GetAsync(Edited))!.State;

        // Act 1: a person breaks the cron
        await table.PutRawAsync(Edited.Id, ("Job", "record"), ("Cron", "0 */5 * *"));
        await Task.Delay(1100);
        var steadyBefore = (await harness.States.ReadRunsAsync(Steady)).Count;
        await harness.Dispatcher.TickAsync();
        var invalid = (await harness.States.GetAsync(Edited))!.State;
        var steadyAfter = (await harness.States.ReadRunsAsync(Steady)).Count;

        // Act 2: and fixes it
        await table.PutRawAsync(Edited.Id, ("Job", "record"), ("Cron", "*/2 * * * * *"));
        await harness.Dispatcher.TickAsync();
        var fixedState = (await harness.States.GetAsync(Edited))!.State;
        await Task.Delay(2100);
        await harness.Dispatcher.TickAsync();

        // Assert
        Assert.Equal(ScheduleStatus.Active, added.Status);
        Assert.Equal(ScheduleStatus.Invalid, invalid.Status);
        Assert.Equal("Cron \"0 */5 * *\" has 4 fields; use 5 (minute precision, e.g. \"*/5 * * * *\") or 6 (with seconds, e.g. \"*/10 * * * * *\")", invalid.Error);
        Assert.Null(invalid.NextDue);
        Assert.True(steadyAfter > steadyBefore, "the other schedule kept running while one was invalid");
        Assert.Equal(ScheduleStatus.Active, fixedState.Status);
        Assert.Null(fixedState.Error);
        Assert.Contains(await harness.States.ReadRunsAsync(Edited), r => r.Status == RunStatus.Succeeded);
        var edits = await harness.States.ReadEditsAsync(Edited);
        Assert.Equal(["Edited", "Edited", "Added"], edits.Select(e => e.Change));
        Assert.Equal(["Active", "Invalid", "Active"], edits.Select(e => e.Status));
        Assert.Contains("0 */5 * *", edits[0].Previous);
        Assert.Contains("*/2 * * * * *", edits[0].New);
    }

    [Fact]
    public async Task RawPauseAndDelete_StopRuns_WithoutRestart()
    {
        // Arrange
        var recorder = new RunRecorder();
        await using var harness = await StartAsync(recorder);
        await harness.SchedulesTable.PutRawAsync(Edited.Id, ("Job", "record"), ("Cron", "* * * * * *"));
        await harness.Dispatcher.TickAsync();

        // Act
        await harness.SchedulesTable.PutRawAsync(Edited.Id, ("Job", "record"), ("Cron", "* * * * * *"), ("Enabled", false), ("PauseNote", "vendor outage"));
        await harness.Dispatcher.TickAsync();
        var paused = (await harness.States.GetAsync(Edited))!.State;
        await Task.Delay(1500);
        var pausedTick = await harness.Dispatcher.TickAsync();
        await harness.SchedulesTable.DeleteEntityAsync("default", Edited.Id);
        await harness.Dispatcher.TickAsync();
        var deleted = (await harness.States.GetAsync(Edited))!.State;

        // Assert
        Assert.Equal(ScheduleStatus.Paused, paused.Status);
        Assert.Equal(0, pausedTick.Claimed);
        Assert.Equal(ScheduleStatus.Deleted, deleted.Status);
        Assert.Equal("Deleted", (await harness.States.ReadEditsAsync(Edited))[0].Change);
    }

    [Fact]
    public async Task InvalidEntries_AreMarkedWithMessages_AndValidOnesRun()
    {
        // Arrange
        var recorder = new RunRecorder();
        await using var harness = await StartAsync(recorder);
        var table = harness.SchedulesTable;
        var bad = new Dictionary<string, (string, object)[]>
        {
            ["bad-cron"] = [("Job", "record"), ("Cron", "0 */5 * *")],
            ["bad-zone"] = [("Job", "record"), ("Cron", "* * * * *"), ("TimeZone", "Mars/Olympus")],
            ["bad-job"] = [("Job", "no-such-job"), ("Cron", "* * * * *")],
            ["bad-args"] = [("Job", "record"), ("Cron", "* * * * *"), ("Args", "[1,2,3]")],
            ["bad-interval"] = [("Job", "record"), ("Interval", "-00:00:05")],
            ["bad-range"] = [("Job", "record"), ("Cron", "* * * * *"), ("StartAt", DateTimeOffset.UtcNow.AddDays(2)), ("EndAt", DateTimeOffset.UtcNow.AddDays(1))],
            ["bad-triggers"] = [("Job", "record"), ("Cron", "* * * * *"), ("RunAt", DateTimeOffset.UtcNow)],
            ["bad-types"] = [("Job", "record"), ("Cron", "* * * * *"), ("MaxAttempts", "three"), ("Enabled", 7)],
            ["bad-input"] = [("Job", "record"), ("Cron", "* * * * *"), ("Input", "imports/../../etc")],
            ["bad-container"] = [("Job", "record"), ("Cron", "* * * * *"), ("Input", "secrets/")],
        };
        foreach (var (id, columns) in bad)
        {
            await table.PutRawAsync(id, columns);
        }

        await table.PutRawAsync("good", ("Job", "record"), ("Interval", "1s"));

        // Act
        var first = await harness.Dispatcher.TickAsync();
        await Task.Delay(1100);
        var second = await harness.Dispatcher.TickAsync();

        // Assert
        Assert.Empty(first.Errors);
        Assert.Empty(second.Errors);
        foreach (var id in bad.Keys)
        {
            var state = (await harness.States.GetAsync(new ScheduleKey("default", id)))!.State;
            Assert.Equal(ScheduleStatus.Invalid, state.Status);
            Assert.False(string.IsNullOrWhiteSpace(state.Error), id);
        }

        Assert.Contains("MaxAttempts must be a whole number", (await harness.States.GetAsync(new ScheduleKey("default", "bad-types")))!.State.Error);
        Assert.Contains("Job \"no-such-job\" is not registered; use one of: record", (await harness.States.GetAsync(new ScheduleKey("default", "bad-job")))!.State.Error);
        Assert.Contains(await harness.States.ReadRunsAsync(new ScheduleKey("default", "good")), r => r.Status == RunStatus.Succeeded);
    }
}
