using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Triggers;
using static Scheduler.Core.Tests.Planning.PlannerFixture;

namespace Scheduler.Core.Tests.Planning;

/// <summary>
/// What counts as an overlap: an occurrence that fell due while a run was running. One that fell due before any run
/// now in flight started (a backlog after a restart, or behind a run still waiting in the queue) waits its turn.
/// </summary>
public sealed class OverlapAndQueueTests
{
    private static DuePlanner QueuePlanner(ScheduleDefinition definition) =>
        new(definition, ScheduleTimeline.For(definition), "i1", queueClaims: true);

    [Fact]
    public void Plan_LateOccurrencesBehindAQueuedRun_WaitInsteadOfBeingSkipped()
    {
        // Arrange: six per-second occurrences late after a restart, Coalesce=All, Overlap=Skip, Queue dispatch
        var definition = Definition(("Cron", "* * * * * *"), ("Coalesce", "All"), ("MisfireGraceSeconds", 600));
        var state = Planned(definition, At("2026-05-01T09:59:59.5Z"));
        var planner = QueuePlanner(definition);

        // Act
        var plan = planner.Plan(state, At("2026-05-01T10:00:05.5Z"));

        // Assert: the first is claimed (queued), the other five stay due, nothing is recorded Skipped
        var claim = Assert.Single(plan.Claims);
        Assert.Equal(At("2026-05-01T10:00:00Z"), claim.Due);
        Assert.Empty(plan.Notes);
        Assert.True(Assert.Single(plan.State.InFlight).Queued);
        Assert.Equal(At("2026-05-01T10:00:01Z"), plan.State.NextDue);
        Assert.Equal(claim.LeaseUntil, planner.WakeAt(plan.State)); // its start or end wakes it, not the clock
    }

    [Fact]
    public void Plan_OccurrenceDueWhileARunRuns_IsSkipped_ButOneDueBeforeItStartedWaits()
    {
        // Arrange: a run started at 10:00:03 (a late start); occurrences 10:00:01 and 10:00:02 are older than it
        var definition = Definition(("Cron", "* * * * * *"), ("Coalesce", "All"), ("MisfireGraceSeconds", 600));
        var running = new InFlightRun(At("2026-05-01T10:00:00Z"), 1, At("2026-05-01T10:10:00Z"), "i1", At("2026-05-01T10:00:03Z"));
        var state = Planned(definition, At("2026-05-01T09:59:59.5Z")) with { InFlight = [running], NextDue = At("2026-05-01T10:00:01Z") };
        var planner = Planner(definition);

        // Act
        var before = planner.Plan(state, At("2026-05-01T10:00:02.5Z"));
        var after = planner.Plan(state, At("2026-05-01T10:00:04.5Z"));

        // Assert: due before the run started: waiting, no skip; once one falls due during the run: the backlog still
        // waits (it is first in line), and planning stops there
        Assert.False(before.ChangesSomething(state));
        Assert.False(after.ChangesSomething(state));

        // ... and with nothing older pending, one due during the run is an overlap
        var caughtUp = state with { NextDue = At("2026-05-01T10:00:04Z") };
        var overlap = planner.Plan(caughtUp, At("2026-05-01T10:00:04.5Z"));
        var note = Assert.Single(overlap.Notes);
        Assert.Equal((RunStatus.Skipped, At("2026-05-01T10:00:04Z")), (note.Status, note.FirstDue));
    }

    [Fact]
    public void WakeAt_IgnoresTheClock_ForAnOccurrenceThatCanOnlyWaitForARun()
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * * *"), ("TimeoutSeconds", 60));
        var queued = new InFlightRun(At("2026-05-01T10:00:00Z"), 1, At("2026-05-01T10:01:30Z"), "i1", At("2026-05-01T10:00:00Z"), Queued: true);
        var state = Planned(definition, At("2026-05-01T09:59:59.5Z")) with { InFlight = [queued], NextDue = At("2026-05-01T10:00:01Z") };
        var planner = QueuePlanner(definition);

        // Act
        var whileQueued = planner.WakeAt(state);
        var started = Completion.StartQueued(state, queued.Due, 1, At("2026-05-01T10:00:00.2Z"), planner.LeaseFrom(At("2026-05-01T10:00:00.2Z")))!;
        var whileRunning = planner.WakeAt(started);

        // Assert: queued, only the lease wakes it; started, the next occurrence is due during the run and wakes it on time
        Assert.Equal(At("2026-05-01T10:01:30Z"), whileQueued);
        Assert.Equal(At("2026-05-01T10:00:01Z"), whileRunning);
    }

    [Fact]
    public void StartQueued_StartsAClaimOnce_AndNeverOneThatIsNotClaimed()
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * * *"));
        var queued = new InFlightRun(At("2026-05-01T10:00:00Z"), 1, At("2026-05-01T10:01:30Z"), "i1", At("2026-05-01T10:00:00Z"), Queued: true);
        var state = Planned(definition, At("2026-05-01T09:59:59.5Z")) with { InFlight = [queued] };

        // Act
        var lease = At("2026-05-01T10:01:31Z");
        var first = Completion.StartQueued(state, queued.Due, 1, At("2026-05-01T10:00:00.1Z"), lease);
        var duplicate = Completion.StartQueued(first!, queued.Due, 1, At("2026-05-01T10:00:00.7Z"), lease);
        var otherAttempt = Completion.StartQueued(state, queued.Due, 2, At("2026-05-01T10:00:00.1Z"), lease);

        // Assert
        var started = Assert.Single(first!.InFlight);
        Assert.Equal((false, At("2026-05-01T10:00:00.1Z")), (started.Queued, started.StartedAt));
        Assert.Null(duplicate);
        Assert.Null(otherAttempt);
    }

    [Fact]
    public void StartQueued_LeaseCountsFromTheStart_SoTimeInTheQueueNeverLetsARunningRunBeTakenOver()
    {
        // Arrange: a claim whose message waited in the queue (or behind a stalled host) past the claim's lease
        var definition = Definition(("Cron", "0 0 * * * *"), ("TimeoutSeconds", 10));
        var planner = QueuePlanner(definition);
        var claimedAt = At("2026-05-01T10:00:00Z");
        var queued = new InFlightRun(claimedAt, 1, planner.LeaseFrom(claimedAt), "i1", claimedAt, Queued: true);
        var state = Planned(definition, At("2026-05-01T09:59:59.5Z")) with { InFlight = [queued], NextDue = At("2026-05-01T11:00:00Z") };
        var startedAt = queued.LeaseUntil.AddSeconds(5);

        // Act: the late message starts it; another instance plans a second later, while it runs
        var started = Completion.StartQueued(state, queued.Due, 1, startedAt, planner.LeaseFrom(startedAt))!;
        var rival = planner.Plan(started, startedAt.AddSeconds(1));

        // Assert: the run keeps its place for a whole lease from its start; nothing is taken over or claimed again
        Assert.Equal(planner.LeaseFrom(startedAt), Assert.Single(started.InFlight).LeaseUntil);
        Assert.Empty(rival.Claims);
        Assert.Empty(rival.Expired);
        Assert.Equal(planner.LeaseFrom(startedAt), planner.WakeAt(started));
    }

    [Fact]
    public void Plan_WithNoRunBudget_LeavesWorkDue_AndSkipsNothing()
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * * *"), ("Overlap", "AllowAll"), ("MaxConcurrency", 3));
        var state = Planned(definition, At("2026-05-01T09:59:59.5Z"));

        // Act: three due, one run allowed by the process
        var plan = Planner(definition).Plan(state, At("2026-05-01T10:00:02.5Z"), maxClaims: 1);

        // Assert
        Assert.Single(plan.Claims);
        Assert.Empty(plan.Notes);
        Assert.Equal(At("2026-05-01T10:00:01Z"), plan.State.NextDue);
    }
}
