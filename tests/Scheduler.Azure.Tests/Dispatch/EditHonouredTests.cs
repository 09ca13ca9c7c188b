using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Dispatch;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// Within one precise-firing invocation (no new timer tick), an edit, pause or deletion committed a second before an
/// occurrence's due time is honoured by that occurrence, and a schedule added meanwhile starts on time.
/// Real time: precise firing is about the clock.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class EditHonouredTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task PauseDeleteAndAdd_DuringOneInvocation_AreHonouredByTheNextOccurrence()
    {
        // Arrange: two every-second schedules, one invocation lasting 9 s
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            services: s => s.AddSingleton<RunRecorder>());
        var paused = new ScheduleKey("default", "paused");
        var deleted = new ScheduleKey("default", "deleted");
        var added = new ScheduleKey("default", "added");
        await harness.SchedulesTable.PutRawAsync(paused.Id, ("Job", "record"), ("Cron", "* * * * * *"));
        await harness.SchedulesTable.PutRawAsync(deleted.Id, ("Job", "record"), ("Cron", "* * * * * *"));
        await harness.Reconciler.ReconcileAsync(default);
        var driver = harness.Services.GetRequiredService<TickDriver>();
        var invocation = driver.RunInvocationAsync(DateTimeOffset.UtcNow.AddSeconds(9), default);
        await WaitForRunsAsync(harness, paused, 2);

        // Act: in the middle of the invocation, as a person with a table editor would
        var editsAt = DateTimeOffset.UtcNow;
        await harness.SchedulesTable.PutRawAsync(paused.Id, ("Job", "record"), ("Cron", "* * * * * *"), ("Enabled", false));
        await harness.SchedulesTable.DeleteEntityAsync(deleted.Group, deleted.Id);
        var firstDue = new DateTimeOffset(editsAt.UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero).AddSeconds(3);
        await harness.SchedulesTable.UpsertEntityAsync(new TableEntity(added.Group, added.Id) { ["Job"] = "record", ["RunAt"] = firstDue });
        var honouredFrom = DateTimeOffset.UtcNow.AddSeconds(1);
        var reports = await invocation;

        // Assert
        Assert.DoesNotContain(await harness.States.ReadRunsAsync(paused), r => r.Attempt > 0 && r.Due >= honouredFrom);
        Assert.DoesNotContain(await harness.States.ReadRunsAsync(deleted), r => r.Attempt > 0 && r.Due >= honouredFrom);
        var run = Assert.Single(await harness.States.ReadRunsAsync(added));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.InRange(run.StartedAt!.Value - firstDue, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.True(reports.Count > 2, "the invocation made one tick only: precise firing did not run");
    }

    private static async Task WaitForRunsAsync(SchedulerHarness harness, ScheduleKey key, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await harness.States.ReadRunsAsync(key)).Count(r => r.Status == RunStatus.Succeeded) < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }
}
