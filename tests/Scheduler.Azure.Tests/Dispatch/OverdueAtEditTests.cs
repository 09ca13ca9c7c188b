using Microsoft.Extensions.DependencyInjection;
using Scheduler.Auditing;
using Scheduler.Admin;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// An edit that lands while occurrences are overdue (a host catching up, or down) never drops them without a trace:
/// they are recorded Missed with the reason, in the edit's transaction (found by the audit across edits in CI:
/// a pause applied behind a backlog left one occurrence with nothing in the ledger).
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class OverdueAtEditTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task PauseBehindABacklog_RecordsTheOverdueOccurrencesMissed_AndTheAuditAccountsForEveryOne()
    {
        // Arrange: an every-second schedule, applied but not dispatched for 3 s (no tick ran)
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            services: s => s.AddSingleton(new RunRecorder()));
        var key = new ScheduleKey("default", "behind");
        var from = DateTimeOffset.UtcNow;
        await harness.Admin.AddOrUpdateAsync(key, new ScheduleSpec { Job = "record", Interval = TimeSpan.FromSeconds(1) });
        await harness.Reconciler.ReconcileAsync(default);
        await Task.Delay(3200);

        // Act: paused before any of them was dispatched
        await harness.Admin.PauseAsync(key, "maintenance");
        await harness.Reconciler.ReconcileAsync(default);
        var to = DateTimeOffset.UtcNow;

        // Assert
        Assert.Equal(Scheduler.Planning.ScheduleStatus.Paused, (await harness.States.GetAsync(key))!.State.Status);
        var missed = Assert.Single(await harness.States.ReadRunsAsync(key));
        Assert.Equal((RunStatus.Missed, 0), (missed.Status, missed.Attempt));
        Assert.InRange(missed.Count, 2, 4);
        Assert.Contains("paused before these overdue occurrences were dispatched", missed.Reason);
        var audit = Assert.Single(await harness.Services.GetRequiredService<LedgerAudit>().AuditAsync(from, to, to));
        Assert.Empty(audit.Result.Defects);
        Assert.True(audit.Result.Count(OccurrenceFate.MissedByPolicy) >= 2, string.Join(", ", audit.Result.Occurrences.Select(o => $"{o.Due:HH:mm:ss.f} {o.Fate}")));
    }
}
