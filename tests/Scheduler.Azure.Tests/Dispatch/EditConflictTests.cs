using Microsoft.Extensions.DependencyInjection;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// An edit or a deletion whose commit meets a concurrent change of the state row (a run finishing on another instance)
/// is re-read and applied in the same pass, never recorded as applied while it was not.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class EditConflictTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Key = new("default", "busy");

    private async Task<(SchedulerHarness Harness, ConcurrentStateWrite Interference)> StartAsync()
    {
        var interference = new ConcurrentStateWrite(azurite.ConnectionString);
        var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            services: s =>
            {
                s.AddSingleton<RunRecorder>();
                interference.Install(s);
            });
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "record"), ("Cron", "0 0 1 1 *"));
        await harness.Reconciler.ReconcileAsync(default);
        return (harness, interference);
    }

    [Fact]
    public async Task Edit_WhoseCommitConflicts_IsAppliedInTheSamePass()
    {
        // Arrange
        var (harness, interference) = await StartAsync();
        await using var _ = harness;
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "record"), ("Cron", "0 0 1 2 *"));
        var edited = (await harness.Services.GetRequiredService<Scheduler.Storage.DefinitionStore>().GetAsync(Key))!.ETag.ToString();

        // Act
        interference.ArmOnce();
        var pass = await harness.Reconciler.ReconcileAsync(default);
        var again = await harness.Reconciler.ReconcileAsync(default);

        // Assert
        Assert.Equal(1, interference.Interferences);
        Assert.Equal((1, 0), (pass.Changed, pass.Errors.Count));
        var state = (await harness.States.GetAsync(Key))!.State;
        Assert.Equal(edited, state.DefinitionETag);
        Assert.Equal(new DateTimeOffset(DateTimeOffset.UtcNow.Year + 1, 2, 1, 0, 0, 0, TimeSpan.Zero), state.NextDue);
        Assert.Equal(0, again.Changed);
    }

    [Fact]
    public async Task Deletion_WhoseCommitConflicts_IsAppliedInTheSamePass()
    {
        // Arrange
        var (harness, interference) = await StartAsync();
        await using var _ = harness;
        await harness.SchedulesTable.DeleteEntityAsync(Key.Group, Key.Id);

        // Act
        interference.ArmOnce();
        var pass = await harness.Reconciler.ReconcileAsync(default);

        // Assert
        Assert.Equal(1, interference.Interferences);
        Assert.Equal((1, 0), (pass.Changed, pass.Errors.Count));
        Assert.Equal(ScheduleStatus.Deleted, (await harness.States.GetAsync(Key))!.State.Status);
    }
}
