using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using static Scheduler.Core.Tests.Planning.PlannerFixture;

namespace Scheduler.Core.Tests.Planning;

public sealed class DuePlannerTests
{
    [Fact]
    public void Plan_ClaimsNothing_BeforeDue()
    {
        // Arrange
        var definition = Definition(("Cron", "*/5 * * * *"));
        var state = Planned(definition, At("2026-05-01T10:01:00Z"));

        // Act
        var plan = Planner(definition).Plan(state, At("2026-05-01T10:04:59Z"));

        // Assert
        Assert.Empty(plan.Claims);
        Assert.False(plan.ChangesSomething(state));
        Assert.Equal(At("2026-05-01T10:05:00Z"), state.NextDue);
    }

    [Fact]
    public void Plan_ClaimsDueOccurrence_WithLeaseAndAdvancesNextDue()
    {
        // Arrange
        var definition = Definition(("Cron", "*/5 * * * *"), ("TimeoutSeconds", 60));
        var state = Planned(definition, At("2026-05-01T10:01:00Z"));

        // Act
        var plan = Planner(definition).Plan(state, At("2026-05-01T10:05:01Z"));

        // Assert
        var claim = Assert.Single(plan.Claims);
        Assert.Equal(At("2026-05-01T10:05:00Z"), claim.Due);
        Assert.Equal(1, claim.Attempt);
        Assert.Equal(At("2026-05-01T10:06:31Z"), claim.LeaseUntil);
        Assert.Equal(At("2026-05-01T10:10:00Z"), plan.State.NextDue);
        Assert.Equal("i1", Assert.Single(plan.State.InFlight).Instance);
    }

    // 10,000 missed occurrences of a per-minute schedule after a week-long outage, under each policy.
    // Due 2026-01-01T00:00 onwards; now 2026-01-07T22:41 with 60 s grace: 00:00 .. 22:39 are late (6 * 1440 + 1360 = 10,000),
    // 22:40 and 22:41 are on time.
    [Theory]
    [InlineData(CoalescePolicy.Latest,   "2026-01-07T22:39:00Z", 9_999,  "2026-01-07T22:40:00Z")]
    [InlineData(CoalescePolicy.Earliest, "2026-01-01T00:00:00Z", 9_999,  "2026-01-07T22:40:00Z")]
    [InlineData(CoalescePolicy.None,     "2026-01-07T22:40:00Z", 10_000, "2026-01-07T22:41:00Z")]
    public void Plan_CoalescesTenThousandMissed_AndResumes(CoalescePolicy policy, string ran, long missed, string nextDue)
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * *"), ("Coalesce", policy.ToString()), ("MisfireGraceSeconds", 60));
        var state = Planned(definition, At("2025-12-31T23:59:30Z"));
        var now = At("2026-01-07T22:41:00Z");

        // Act
        var plan = Planner(definition).Plan(state, now);

        // Assert
        Assert.Equal(At(ran), Assert.Single(plan.Claims).Due);
        var note = Assert.Single(plan.Notes);
        Assert.Equal(RunStatus.Missed, note.Status);
        Assert.Equal(missed, note.Count);
        Assert.Contains("past the 60s misfire grace", note.Reason);
        Assert.Equal(At(nextDue), plan.State.NextDue);
    }

    [Fact]
    public void Plan_CatchesUpAllMissed_InBoundedBatches_WithCoalesceAll()
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * *"), ("Coalesce", "All"), ("Overlap", "AllowAll"), ("MaxConcurrency", 32));
        var planner = Planner(definition);
        var state = Planned(definition, At("2025-12-31T23:59:30Z"));
        var now = At("2026-01-07T22:40:00Z");
        var ran = new List<DateTimeOffset>();

        // Act: plan, complete everything claimed, repeat, as the dispatcher's loop does
        for (var i = 0; i < 1000 && state.NextDue <= now; i++)
        {
            var plan = planner.Plan(state, now);
            state = plan.State;
            foreach (var claim in plan.Claims)
            {
                ran.Add(claim.Due);
                state = Completion.Apply(state, definition.Policies, claim, new RunOutcome(RunStatus.Succeeded, now, now))!;
            }
        }

        // Assert
        Assert.Equal(10_001, ran.Count);
        Assert.Equal(ran.Count, ran.Distinct().Count());
        Assert.Equal(At("2026-01-07T22:41:00Z"), state.NextDue);
    }

    [Fact]
    public void Plan_RunsOnTimeOccurrencesOneAfterAnother_WhenSeveralAreDueAtOnce()
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * * *"));
        var planner = Planner(definition);
        var state = Planned(definition, At("2026-05-01T10:00:00Z"));
        var now = At("2026-05-01T10:00:05Z");

        // Act
        var first = planner.Plan(state, now);
        var afterFirst = Completion.Apply(first.State, definition.Policies, first.Claims[0], new RunOutcome(RunStatus.Succeeded, now, now))!;
        var second = planner.Plan(afterFirst, now);

        // Assert
        Assert.Equal(At("2026-05-01T10:00:00Z"), Assert.Single(first.Claims).Due);
        Assert.Equal(At("2026-05-01T10:00:01Z"), first.State.NextDue);
        Assert.Empty(first.Notes);
        Assert.Equal(At("2026-05-01T10:00:01Z"), Assert.Single(second.Claims).Due);
    }

    [Theory]
    [InlineData(OverlapPolicy.Skip,      0, 3)]
    [InlineData(OverlapPolicy.BufferOne, 1, 2)]
    [InlineData(OverlapPolicy.BufferAll, 3, 0)]
    public void Plan_AppliesOverlapPolicy_WhenAnotherRunIsInFlight(OverlapPolicy policy, int buffered, long skipped)
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * *"), ("Overlap", policy.ToString()), ("TimeoutSeconds", 3600));
        var planner = Planner(definition);
        var state = Planned(definition, At("2026-05-01T09:59:30Z"));
        state = planner.Plan(state, At("2026-05-01T10:00:00Z")).State; // 10:00 claimed, still running

        // Act: three more occurrences fall due while it runs, seen one tick at a time
        var notes = new List<LedgerNote>();
        foreach (var minute in new[] { "10:01", "10:02", "10:03" })
        {
            var plan = planner.Plan(state, At($"2026-05-01T{minute}:00Z"));
            notes.AddRange(plan.Notes);
            state = plan.State;
        }

        // Assert
        Assert.Single(state.InFlight);
        Assert.Equal(buffered, state.Pending.Count(p => p.Kind == PendingKind.Buffered));
        Assert.Equal(skipped, notes.Where(n => n.Status == RunStatus.Skipped).Sum(n => n.Count));
        Assert.All(notes, n => Assert.Contains($"Overlap={policy}", n.Reason));
    }

    [Fact]
    public void Plan_RunsBufferedOccurrence_AfterTheRunningOneCompletes()
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * *"), ("Overlap", "BufferOne"));
        var planner = Planner(definition);
        var first = planner.Plan(Planned(definition, At("2026-05-01T09:59:30Z")), At("2026-05-01T10:00:00Z"));
        var blocked = planner.Plan(first.State, At("2026-05-01T10:01:00Z"));

        // Act
        var done = Completion.Apply(blocked.State, definition.Policies, first.Claims[0], new RunOutcome(RunStatus.Succeeded, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:01:10Z")))!;
        var next = planner.Plan(done, At("2026-05-01T10:01:10Z"));

        // Assert
        Assert.Equal(At("2026-05-01T10:01:00Z"), planner.WakeAt(done)); // the buffered occurrence is runnable at once
        var claim = Assert.Single(next.Claims);
        Assert.Equal(At("2026-05-01T10:01:00Z"), claim.Due);
        Assert.Equal(ClaimReason.Buffered, claim.Reason);
    }

    [Fact]
    public void Plan_AllowsConcurrentRuns_UpToMaxConcurrency()
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * *"), ("Overlap", "AllowAll"), ("MaxConcurrency", 2), ("TimeoutSeconds", 3600));
        var planner = Planner(definition);
        var state = Planned(definition, At("2026-05-01T09:59:30Z"));

        // Act
        var a = planner.Plan(state, At("2026-05-01T10:00:00Z"));
        var b = planner.Plan(a.State, At("2026-05-01T10:01:00Z"));
        var c = planner.Plan(b.State, At("2026-05-01T10:02:00Z"));

        // Assert
        Assert.Single(a.Claims);
        Assert.Single(b.Claims);
        Assert.Empty(c.Claims);
        Assert.Contains("MaxConcurrency 2 reached", Assert.Single(c.Notes).Reason);
        Assert.Equal(2, c.State.InFlight.Count);
    }

    [Fact]
    public void Plan_RerunsWithNextAttempt_WhenLeaseExpired()
    {
        // Arrange
        var definition = Definition(("Cron", "0 * * * *"), ("TimeoutSeconds", 60));
        var planner = Planner(definition, "i1");
        var claimed = planner.Plan(Planned(definition, At("2026-05-01T09:30:00Z")), At("2026-05-01T10:00:00Z")).State;

        // Act: i1 died; i2 looks after the lease (60s + 30s margin) ran out
        var plan = Planner(definition, "i2").Plan(claimed, At("2026-05-01T10:01:31Z"));

        // Assert
        var lost = Assert.Single(plan.Expired);
        Assert.Equal("i1", lost.Instance);
        var rerun = Assert.Single(plan.Claims);
        Assert.Equal((At("2026-05-01T10:00:00Z"), 2, ClaimReason.LeaseExpired), (rerun.Due, rerun.Attempt, rerun.Reason));
        Assert.Equal("i2", Assert.Single(plan.State.InFlight).Instance);
    }

    [Fact]
    public void Plan_DoesNotTouchLiveLease()
    {
        // Arrange
        var definition = Definition(("Cron", "0 * * * *"), ("TimeoutSeconds", 60));
        var claimed = Planner(definition, "i1").Plan(Planned(definition, At("2026-05-01T09:30:00Z")), At("2026-05-01T10:00:00Z")).State;

        // Act
        var plan = Planner(definition, "i2").Plan(claimed, At("2026-05-01T10:01:29Z"));

        // Assert
        Assert.False(plan.ChangesSomething(claimed));
        Assert.Equal(At("2026-05-01T10:01:30Z"), Planner(definition).WakeAt(claimed));
    }

    [Fact]
    public void Plan_FinishesOneShot_AfterItsRun()
    {
        // Arrange
        var definition = Definition(("RunAt", "2026-05-01T10:00:00Z"));
        var planner = Planner(definition);
        var plan = planner.Plan(Planned(definition, At("2026-05-01T09:00:00Z")), At("2026-05-01T10:00:00Z"));

        // Act
        var done = Completion.Apply(plan.State, definition.Policies, plan.Claims[0], new RunOutcome(RunStatus.Succeeded, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:00:01Z")))!;

        // Assert
        Assert.Null(plan.State.NextDue);
        Assert.Equal(ScheduleStatus.Finished, done.Status);
        Assert.Null(planner.WakeAt(done));
    }

    [Fact]
    public void Plan_DelaysByDeterministicJitter()
    {
        // Arrange
        var definition = Definition(("Cron", "0 * * * *"), ("JitterSeconds", 600));
        var planner = Planner(definition);
        var state = Planned(definition, At("2026-05-01T09:30:00Z"));
        var fire = planner.FireTime(At("2026-05-01T10:00:00Z"));

        // Act
        var early = planner.Plan(state, fire.AddMilliseconds(-1));
        var onTime = Planner(definition, "another-instance").Plan(state, fire);

        // Assert
        Assert.InRange(fire, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:10:00Z"));
        Assert.Empty(early.Claims);
        Assert.Equal(At("2026-05-01T10:00:00Z"), Assert.Single(onTime.Claims).Due);
        Assert.Equal(fire, planner.WakeAt(state));
    }

    [Fact]
    public void Plan_TakesOnlyWorkDueByTheTickStart()
    {
        // Arrange
        var definition = Definition(("Cron", "* * * * * *"));
        var state = Planned(definition, At("2026-05-01T10:00:00.2Z"));

        // Act
        var plan = Planner(definition).Plan(state, At("2026-05-01T10:00:09Z"), dueBy: At("2026-05-01T10:00:00.5Z"));
        var later = Planner(definition).Plan(state, At("2026-05-01T10:00:09Z"), dueBy: At("2026-05-01T10:00:01Z"));

        // Assert
        Assert.Empty(plan.Claims);
        Assert.Equal(At("2026-05-01T10:00:01Z"), Assert.Single(later.Claims).Due);
    }
}
