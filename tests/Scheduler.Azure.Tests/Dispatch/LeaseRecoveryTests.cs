using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Storage.Tests.Dispatch;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class LeaseRecoveryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AbandonedClaim_IsRerunAfterLeaseExpiry_WithAttemptTwo()
    {
        // Arrange: a dispatcher claims an occurrence (claim and Running ledger row committed) and dies before running it
        // On the fake clock: the lease expires because the test says so, not because it slept.
        var prefix = SchedulerHarness.NewPrefix();
        var recorder = new RunRecorder();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        static void Short(Scheduler.Hosting.SchedulerOptions o) => o.LeaseMargin = TimeSpan.FromSeconds(1);
        await using var doomed = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"),
            configure: Short, services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock), instanceId: "doomed");
        await using var rescuer = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"),
            configure: Short, services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock), instanceId: "rescuer");
        var key = new ScheduleKey("default", "nightly-report");
        var due = clock.GetUtcNow().AddSeconds(1);
        await doomed.SchedulesTable.PutRawAsync(key.Id, ("Job", "record"), ("RunAt", due), ("TimeoutSeconds", 1));
        await doomed.Reconciler.ReconcileAsync(default);
        clock.Advance(TimeSpan.FromSeconds(1.1));
        var loaded = (await doomed.States.GetAsync(key))!;
        var definition = ScheduleValidator.Validate(key, Scheduler.Schedules.ColumnSnapshot.Deserialize(loaded.State.Definition!), doomed.Services.GetRequiredService<Scheduler.Hosting.JobCatalog>().Validation);
        var planner = DuePlanner.For(definition, "doomed", TimeSpan.FromSeconds(1));
        var plan = planner.Plan(loaded.State, clock.GetUtcNow());
        Assert.Single(plan.Claims);
        await doomed.States.CommitPlanAsync(loaded, plan, planner.WakeAt(plan.State), "doomed", clock.GetUtcNow(), default);

        // Act: before the lease ends nothing happens; after it the other dispatcher re-runs it
        var early = await rescuer.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromSeconds(2.2));
        var late = await rescuer.Dispatcher.TickAsync();

        // Assert
        Assert.Equal(0, early.Claimed);
        Assert.Equal(1, late.Claimed);
        var runs = await rescuer.States.ReadRunsAsync(key);
        var lost = Assert.Single(runs, r => r.Attempt == 1);
        Assert.Equal(RunStatus.Lost, lost.Status);
        Assert.Equal("LeaseExpired", lost.ErrorType);
        Assert.Contains("instance doomed claimed this run", lost.ErrorMessage);
        var rerun = Assert.Single(runs, r => r.Attempt == 2);
        Assert.Equal((RunStatus.Succeeded, "rescuer", due), (rerun.Status, rerun.Instance, rerun.Due));
        Assert.Equal([(Scheduler.Jobs.IdempotencyKeys.For(key, due), 2)], recorder.Runs.ToArray());
    }
}
