using System.Globalization;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Core.Tests.Triggers;

public sealed class ScheduleTimelineTests
{
    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private sealed class StuckTrigger(DateTimeOffset at) : ITrigger
    {
        public DateTimeOffset? NextAfter(DateTimeOffset after) => at;
    }

    [Fact]
    public void Next_Throws_WhenTriggerDoesNotAdvance()
    {
        // Arrange
        var timeline = new ScheduleTimeline(new StuckTrigger(At("2026-01-01T00:00:00Z")), null, null);

        // Act + Assert
        Assert.Throws<NonAdvancingTriggerException>(() => timeline.Next(At("2026-01-01T00:00:00Z")));
    }

    [Theory]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z")]
    [InlineData("2026-01-01T00:04:59Z", "2026-01-01T00:05:00Z")]
    [InlineData("2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z")]
    public void Interval_IsAnchoredAtEpoch_WhenNoStartAt(string after, string expected)
    {
        // Arrange
        var timeline = new ScheduleTimeline(new IntervalTrigger(TimeSpan.FromMinutes(5), DateTimeOffset.UnixEpoch), null, null);

        // Act + Assert
        Assert.Equal(At(expected), timeline.Next(At(after)));
    }

    [Fact]
    public void Next_RespectsStartAtAndEndAt()
    {
        // Arrange
        var start = At("2026-06-01T10:02:30Z");
        var timeline = new ScheduleTimeline(new IntervalTrigger(TimeSpan.FromMinutes(1), start), start, At("2026-06-01T10:04:30Z"));

        // Act
        var preview = timeline.Preview(At("2026-01-01T00:00:00Z"), 10);

        // Assert
        Assert.Equal([At("2026-06-01T10:02:30Z"), At("2026-06-01T10:03:30Z"), At("2026-06-01T10:04:30Z")], preview);
    }

    [Fact]
    public void Cron_StartAt_IsInclusive()
    {
        // Arrange
        Assert.True(CronParsing.TryParse("0 * * * *", out var cron, out _));
        var timeline = new ScheduleTimeline(new CronTrigger(cron!, true, TimeZones.Utc, Scheduler.Schedules.DstPolicy.Shift), At("2026-06-01T10:00:00Z"), null);

        // Act + Assert
        Assert.Equal(At("2026-06-01T10:00:00Z"), timeline.Next(At("2026-01-01T00:00:00Z")));
    }

    [Theory]
    [InlineData("* * * * * *", "2026-01-01T00:00:00Z", "2026-01-01T02:46:40Z", "2026-01-01T02:46:40Z", 10_001)]
    [InlineData("0 0 1 1 *",   "2020-01-01T00:00:00Z", "2026-06-01T00:00:00Z", "2026-01-01T00:00:00Z", 7)]
    [InlineData("*/7 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:59:00Z", "2026-01-01T00:56:00Z", 9)]
    [InlineData("*/7 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "2026-01-01T01:00:00Z", 10)]
    public void LatestAndCount_WorkWithoutWalkingEverything(string cron, string from, string to, string latest, long count)
    {
        // Arrange
        Assert.True(CronParsing.TryParse(cron, out var expression, out _));
        var timeline = new ScheduleTimeline(new CronTrigger(expression!, true, TimeZones.Utc, Scheduler.Schedules.DstPolicy.Shift), null, null);

        // Act + Assert
        Assert.Equal(At(latest), timeline.LatestAtOrBefore(At(to), At(from)));
        Assert.Equal(count, timeline.Count(At(from), At(to)));
    }

    [Fact]
    public void Interval_LatestAndCount_AreArithmetic_ForAYearOfSeconds()
    {
        // Arrange
        var timeline = new ScheduleTimeline(new IntervalTrigger(TimeSpan.FromSeconds(1), DateTimeOffset.UnixEpoch), null, null);
        var from = At("2025-01-01T00:00:00Z");
        var to = At("2026-01-01T00:00:00Z");

        // Act + Assert
        Assert.Equal(to, timeline.LatestAtOrBefore(to, from));
        Assert.Equal(100_000, timeline.Count(from, to));
        Assert.Equal(365L * 86400 + 1, timeline.Count(from, to, long.MaxValue));
    }
}
