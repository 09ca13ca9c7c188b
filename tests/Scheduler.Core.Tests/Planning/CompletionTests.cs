using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using static Scheduler.Core.Tests.Planning.PlannerFixture;

namespace Scheduler.Core.Tests.Planning;

public sealed class CompletionTests
{
    [Theory]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(4, 40)]
    [InlineData(5, 60)] // capped by RetryBackoffMaxSeconds
    [InlineData(9, 60)]
    public void BackoffBefore_IsExponentialAndCapped(int attempt, int seconds)
    {
        // Arrange
        var policies = new SchedulePolicies { RetryBackoff = TimeSpan.FromSeconds(10), RetryBackoffMax = TimeSpan.FromSeconds(60) };

        // Act + Assert
        Assert.Equal(TimeSpan.FromSeconds(seconds), policies.BackoffBefore(attempt));
    }

    [Fact]
    public void Apply_SchedulesRetry_UntilMaxAttempts()
    {
        // Arrange
        var definition = Definition(("Cron", "0 * * * *"), ("MaxAttempts", 2), ("RetryBackoffSeconds", 15));
        var planner = Planner(definition);
        var plan = planner.Plan(Planned(definition, At("2026-05-01T09:30:00Z")), At("2026-05-01T10:00:00Z"));
        var failed = new RunOutcome(RunStatus.Failed, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:00:01Z"), "IOException", "disk full");

        // Act
        var afterFirst = Completion.Apply(plan.State, definition.Policies, plan.Claims[0], failed)!;
        var retry = planner.Plan(afterFirst, At("2026-05-01T10:00:16Z"));
        var afterSecond = Completion.Apply(retry.State, definition.Policies, retry.Claims[0], failed)!;

        // Assert
        Assert.Equal(At("2026-05-01T10:00:16Z"), Assert.Single(afterFirst.Pending).NotBefore);
        Assert.Equal((2, ClaimReason.Retry), (retry.Claims[0].Attempt, retry.Claims[0].Reason));
        Assert.Empty(afterSecond.Pending);
        Assert.Equal(RunStatus.Failed, afterSecond.LastStatus);
        Assert.Equal("disk full", afterSecond.LastError);
    }

    [Fact]
    public void Apply_ReturnsNull_WhenClaimWasTakenOver()
    {
        // Arrange
        var definition = Definition(("Cron", "0 * * * *"), ("TimeoutSeconds", 60));
        var first = Planner(definition, "i1").Plan(Planned(definition, At("2026-05-01T09:30:00Z")), At("2026-05-01T10:00:00Z"));
        var takeover = Planner(definition, "i2").Plan(first.State, At("2026-05-01T10:05:00Z"));

        // Act
        var late = Completion.Apply(takeover.State, definition.Policies, first.Claims[0], new RunOutcome(RunStatus.Succeeded, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:05:01Z")));

        // Assert
        Assert.Null(late);
    }

    [Fact]
    public void Apply_ReleasesOccurrence_WhenHostStoppedMidRun()
    {
        // Arrange
        var definition = Definition(("Cron", "0 * * * *"));
        var plan = Planner(definition).Plan(Planned(definition, At("2026-05-01T09:30:00Z")), At("2026-05-01T10:00:00Z"));
        var interrupted = new RunOutcome(RunStatus.Failed, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:00:02Z"), "TaskCanceledException", "host shutting down", Interrupted: true);

        // Act
        var state = Completion.Apply(plan.State, definition.Policies, plan.Claims[0], interrupted)!;

        // Assert
        var pending = Assert.Single(state.Pending);
        Assert.Equal((PendingKind.Abandoned, 2, At("2026-05-01T10:00:02Z")), (pending.Kind, pending.Attempt, pending.NotBefore));
    }

    [Fact]
    public void RequestRun_IsClaimedThroughTheOrdinaryPath()
    {
        // Arrange
        var definition = Definition(("Cron", "0 0 1 1 *"));
        var state = Completion.RequestRun(Planned(definition, At("2026-05-01T09:30:00Z")), At("2026-05-01T10:00:00Z"));

        // Act
        var plan = Planner(definition).Plan(state, At("2026-05-01T10:00:01Z"));

        // Assert
        var claim = Assert.Single(plan.Claims);
        Assert.Equal((At("2026-05-01T10:00:00Z"), ClaimReason.Manual), (claim.Due, claim.Reason));
    }
}
