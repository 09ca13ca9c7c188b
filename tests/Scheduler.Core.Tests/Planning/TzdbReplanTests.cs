using Scheduler.Planning;
using Scheduler.Schedules;
using static Scheduler.Core.Tests.Planning.PlannerFixture;

namespace Scheduler.Core.Tests.Planning;

public sealed class TzdbReplanTests
{
    [Fact]
    public void Timing_NamesTheTzdbRelease_ForZonesWithOffsetChanges_AndNotForUtc()
    {
        // Arrange
        var london = Definition(("Cron", "0 9 * * *"), ("TimeZone", "Europe/London"));
        var utc = Definition(("Cron", "0 9 * * *"));

        // Act + Assert
        Assert.EndsWith($"|tzdb {TimeZones.TzdbVersion}", DefinitionChange.TimingOf(london), StringComparison.Ordinal);
        Assert.DoesNotContain("tzdb", DefinitionChange.TimingOf(utc), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_AStatePlannedUnderAnotherTzdbRelease_IsPlannedAgainFromItsLastOccurrence()
    {
        // Arrange: a due time written under an older release (here: an hour off), last run the day before
        var definition = Definition(("Cron", "0 9 * * *"), ("TimeZone", "Europe/London"));
        var current = Planned(definition, At("2026-07-01T07:00:00Z"));
        var older = current with
        {
            Timing = current.Timing!.Replace($"tzdb {TimeZones.TzdbVersion}", "tzdb 2019c", StringComparison.Ordinal),
            LastDue = At("2026-07-01T08:00:00Z"),
            NextDue = At("2026-07-02T09:00:00Z"),
        };

        // Act: nothing is due yet by either due time
        var plan = Planner(definition).Plan(older, At("2026-07-02T06:00:00Z"));

        // Assert: 09:00 BST is 08:00 UTC; the state records the release it was planned under
        Assert.True(plan.ChangesSomething(older));
        Assert.Empty(plan.Claims);
        Assert.Equal(At("2026-07-02T08:00:00Z"), plan.State.NextDue);
        Assert.Equal(current.Timing, plan.State.Timing);
    }

    [Fact]
    public void Plan_AStatePlannedUnderTheCurrentRelease_IsLeftAsItIs()
    {
        // Arrange
        var definition = Definition(("Cron", "0 9 * * *"), ("TimeZone", "Europe/London"));
        var state = Planned(definition, At("2026-07-01T07:00:00Z"));

        // Act
        var plan = Planner(definition).Plan(state, At("2026-07-01T07:30:00Z"));

        // Assert
        Assert.False(plan.ChangesSomething(state));
        Assert.Equal(At("2026-07-01T08:00:00Z"), plan.State.NextDue);
    }
}
