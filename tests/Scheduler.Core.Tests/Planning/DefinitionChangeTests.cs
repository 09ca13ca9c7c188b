using Scheduler.Runs;
using Scheduler.Triggers;
using Scheduler.Planning;
using static Scheduler.Core.Tests.Planning.PlannerFixture;

namespace Scheduler.Core.Tests.Planning;

public sealed class DefinitionChangeTests
{
    [Fact]
    public void Overdue_APauseOverABacklog_RecordsTheDroppedOccurrencesMissed_WithTheReason()
    {
        // Arrange: every minute, planned at 09:59:30, nobody ran 10:00..10:03; paused at 10:03:30
        var every = Definition(("Cron", "* * * * *"));
        var state = Planned(every, At("2026-05-01T09:59:30Z"));
        var paused = DefinitionChange.Apply(state, Definition(("Cron", "* * * * *"), ("Enabled", false)), "etag-2", "{}", At("2026-05-01T10:03:30Z"));

        // Act
        var note = DefinitionChange.Overdue(state, ScheduleTimeline.For(every), paused, At("2026-05-01T10:03:30Z"), "paused");

        // Assert
        Assert.Equal(new LedgerNote(RunStatus.Missed, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:03:00Z"), 4, "paused"), note);
    }

    [Fact]
    public void Overdue_IsNothing_WhenTheEditKeepsTheDueTime_OrNothingIsOverdue_AndOnlyWhatTheNewTimingWillNotRun()
    {
        // Arrange
        var hourly = Definition(("Cron", "0 * * * *"));
        var state = Planned(hourly, At("2026-05-01T09:30:00Z")); // next due 10:00
        var argsOnly = DefinitionChange.Apply(state, Definition(("Cron", "0 * * * *"), ("Args", "{\"a\":2}")), "etag-2", "{}", At("2026-05-01T10:20:00Z"));
        var everyMinute = Definition(("Cron", "* * * * *"));
        var retimed = DefinitionChange.Apply(state, everyMinute, "etag-2", "{}", At("2026-05-01T10:20:00Z"));

        // Act
        var kept = DefinitionChange.Overdue(state, ScheduleTimeline.For(hourly), argsOnly, At("2026-05-01T10:20:00Z"), "edited");
        var early = DefinitionChange.Overdue(state, ScheduleTimeline.For(hourly), retimed, At("2026-05-01T09:50:00Z"), "edited");
        var dropped = DefinitionChange.Overdue(state, ScheduleTimeline.For(hourly), retimed, At("2026-05-01T10:20:00Z"), "edited");

        // Assert
        Assert.Null(kept);
        Assert.Null(early);
        Assert.Equal((At("2026-05-01T10:00:00Z"), 1L), (dropped!.FirstDue, dropped.Count));
    }

    [Fact]
    public void Apply_KeepsOverdueOccurrence_WhenOnlyArgsChanged()
    {
        // Arrange
        var before = Definition(("Cron", "0 * * * *"), ("Args", "{\"a\":1}"));
        var state = Planned(before, At("2026-05-01T09:30:00Z"));

        // Act
        var edited = DefinitionChange.Apply(state, Definition(("Cron", "0 * * * *"), ("Args", "{\"a\":2}")), "etag-2", "{}", At("2026-05-01T10:20:00Z"));

        // Assert
        Assert.Equal(At("2026-05-01T10:00:00Z"), edited.NextDue);
    }

    [Fact]
    public void Apply_Replans_WhenCronChanged()
    {
        // Arrange
        var state = Planned(Definition(("Cron", "0 0 * * *")), At("2026-05-01T09:30:00Z"));

        // Act
        var edited = DefinitionChange.Apply(state, Definition(("Cron", "*/5 * * * *")), "etag-2", "{}", At("2026-05-01T10:21:00Z"));

        // Assert
        Assert.Equal(At("2026-05-01T10:25:00Z"), edited.NextDue);
    }

    [Fact]
    public void Apply_Pauses_AndResumeDoesNotRunWhatWasDueWhilePaused()
    {
        // Arrange
        var state = Planned(Definition(("Cron", "0 * * * *")), At("2026-05-01T09:30:00Z"));

        // Act
        var paused = DefinitionChange.Apply(state, Definition(("Cron", "0 * * * *"), ("Enabled", false), ("PauseNote", "vendor outage")), "etag-2", "{}", At("2026-05-01T09:40:00Z"));
        var resumed = DefinitionChange.Apply(paused, Definition(("Cron", "0 * * * *")), "etag-3", "{}", At("2026-05-01T12:10:00Z"));

        // Assert
        Assert.Equal((ScheduleStatus.Paused, (DateTimeOffset?)null), (paused.Status, paused.NextDue));
        Assert.Equal((ScheduleStatus.Active, (DateTimeOffset?)At("2026-05-01T13:00:00Z")), (resumed.Status, resumed.NextDue));
    }

    [Fact]
    public void Apply_RunsOneShotWrittenJustBeforeTheTick()
    {
        // Act
        var state = Planned(Definition(("RunAt", "2026-05-01T10:00:00Z")), At("2026-05-01T10:00:00Z"));

        // Assert
        Assert.Equal(At("2026-05-01T10:00:00Z"), state.NextDue);
    }

    [Fact]
    public void Apply_RunsOneShotWhoseTimeIsWithinGraceOfTheEdit()
    {
        // Act
        var state = Planned(Definition(("RunAt", "2026-05-01T09:59:30Z"), ("MisfireGraceSeconds", 60)), At("2026-05-01T10:00:00Z"));

        // Assert
        Assert.Equal(At("2026-05-01T09:59:30Z"), state.NextDue);
    }

    [Fact]
    public void Apply_FinishesOneShotInThePast()
    {
        // Act
        var state = Planned(Definition(("RunAt", "2026-04-01T10:00:00Z")), At("2026-05-01T10:00:00Z"));

        // Assert
        Assert.Equal(ScheduleStatus.Finished, state.Status);
    }

    [Fact]
    public void ApplyInvalid_StopsPlanning_AndKeepsHistory()
    {
        // Arrange
        var state = Planned(Definition(("Cron", "0 * * * *")), At("2026-05-01T09:30:00Z")) with { LastDue = At("2026-05-01T09:00:00Z") };

        // Act
        var invalid = DefinitionChange.ApplyInvalid(state, ["Cron \"0 * *\" has 3 fields"], "etag-2", "{}");

        // Assert
        Assert.Equal(ScheduleStatus.Invalid, invalid.Status);
        Assert.Null(invalid.NextDue);
        Assert.Equal("Cron \"0 * *\" has 3 fields", invalid.Error);
        Assert.Equal(At("2026-05-01T09:00:00Z"), invalid.LastDue);
    }
}
