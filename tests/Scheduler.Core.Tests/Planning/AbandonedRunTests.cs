using Scheduler.Planning;
using Scheduler.Runs;
using static Scheduler.Core.Tests.Planning.PlannerFixture;

namespace Scheduler.Core.Tests.Planning;

/// <summary>A handler that ignores cancellation is recorded TimedOut but keeps its place until it really ends.</summary>
public sealed class AbandonedRunTests
{
    private static readonly DateTimeOffset Due = At("2026-05-01T10:00:00Z");

    private static (ScheduleState State, Scheduler.Schedules.ScheduleDefinition Definition, ClaimedRun Claim) Running()
    {
        var definition = Definition(("Cron", "* * * * *"), ("TimeoutSeconds", 10), ("MaxAttempts", 2), ("RetryBackoffSeconds", 1));
        var state = Planned(definition, At("2026-05-01T09:59:30Z"));
        var plan = Planner(definition).Plan(state, At("2026-05-01T10:00:00.1Z"));
        return (plan.State, definition, plan.Claims[0]);
    }

    [Fact]
    public void AbandonedOutcome_KeepsItsPlace_UnderAFreshLease_AndQueuesTheRetryBehindIt()
    {
        // Arrange
        var (state, definition, claim) = Running();
        var outcome = new RunOutcome(RunStatus.TimedOut, Due, At("2026-05-01T10:00:15Z"), Abandoned: true);

        // Act
        var after = Completion.Apply(state, definition.Policies, claim, outcome, abandonedLease: TimeSpan.FromSeconds(120))!;
        var next = Planner(definition).Plan(after, At("2026-05-01T10:01:00.5Z"));

        // Assert: still in flight (abandoned), the retry waits; the next occurrence falls due during it: skipped
        var held = Assert.Single(after.InFlight);
        Assert.Equal((true, At("2026-05-01T10:02:15Z")), (held.Abandoned, held.LeaseUntil));
        Assert.Equal(PendingKind.Retry, Assert.Single(after.Pending).Kind);
        Assert.Empty(next.Claims);
        Assert.Equal(RunStatus.Skipped, Assert.Single(next.Notes).Status);
    }

    [Fact]
    public void ReleaseAbandoned_FreesThePlace_AndAnExpiredAbandonedLeaseIsNotRunAgain()
    {
        // Arrange
        var (state, definition, claim) = Running();
        var abandoned = Completion.Apply(state, definition.Policies, claim,
            new RunOutcome(RunStatus.TimedOut, Due, At("2026-05-01T10:00:15Z"), Abandoned: true), TimeSpan.FromSeconds(40))!;

        // Act
        var released = Completion.ReleaseAbandoned(abandoned, Due, 1);
        var expired = Planner(definition).Plan(abandoned with { Pending = [] }, At("2026-05-01T10:00:56Z"));

        // Assert
        Assert.Empty(released!.InFlight);
        Assert.Null(Completion.ReleaseAbandoned(released, Due, 1));
        Assert.Single(expired.Expired);
        Assert.DoesNotContain(expired.State.Pending, p => p.Kind == PendingKind.Abandoned); // its TimedOut stands; no re-run for it
    }

    [Fact]
    public void RequestRuns_RefusesToGrowPastTheLimitOfWaitingRuns()
    {
        // Arrange
        var (state, _, _) = Running();
        var dues = Enumerable.Range(0, DuePlanner.MaxPending).Select(i => Due.AddMinutes(-i - 1)).ToList();
        var full = Completion.RequestRuns(state, dues, Due);

        // Act
        var error = Record.Exception(() => Completion.RequestRuns(full, [Due.AddDays(-1)], Due));

        // Assert
        Assert.Equal(DuePlanner.MaxPending, full.Pending.Count);
        Assert.Contains($"limit of {DuePlanner.MaxPending}", Assert.IsType<ArgumentException>(error).Message);
    }

    [Fact]
    public void Plan_LeaseExpiredOnTheLastAllowedAttempt_MarksTheStateLost_AndRunsItNoMore()
    {
        // Arrange: attempt 3 (the crash re-run limit) claimed by an instance that died
        var definition = Definition(("Cron", "0 0 1 1 *"), ("TimeoutSeconds", 10));
        var dead = new InFlightRun(Due, 3, At("2026-05-01T10:00:40Z"), "gone", At("2026-05-01T10:00:00Z"));
        var state = Planned(definition, At("2026-05-01T09:59:30Z")) with { InFlight = [dead] };

        // Act
        var plan = Planner(definition).Plan(state, At("2026-05-01T10:01:00Z"));

        // Assert
        Assert.Single(plan.Expired);
        Assert.Empty(plan.State.Pending);
        Assert.Equal(RunStatus.Lost, plan.State.LastStatus);
        Assert.Contains("lost with its host 3 time(s)", plan.State.LastError);
    }
}
