using Scheduler.Schedules;

namespace Scheduler.Core.Tests.Schedules;

public sealed class ScheduleDescriptionTests
{
    [Theory]
    [InlineData("* * * * *", "every minute")]
    [InlineData("*/5 * * * *", "every 5 minutes")]
    [InlineData("15 * * * *", "hourly at :15")]
    [InlineData("30 2 * * *", "daily at 02:30")]
    [InlineData("0 9 * * MON-FRI", "weekdays at 09:00")]
    [InlineData("0 9 * * MON", "Mondays at 09:00")]
    [InlineData("0 18 * * 0", "Sundays at 18:00")]
    [InlineData("0 0 1 * *", "monthly on day 1 at 00:00")]
    [InlineData("0 23 L * *", "last day of the month at 23:00")]
    [InlineData("* * * * * *", "every second")]
    [InlineData("*/10 * * * * *", "every 10 seconds")]
    [InlineData("0 30 2 * * *", "daily at 02:30")]
    [InlineData("0 9 1-7 * MON", "cron \"0 9 1-7 * MON\"; runs only on days that match both day-of-month and day-of-week (classic cron runs on days that match either)")]
    [InlineData("0 9 * JAN *", "cron \"0 9 * JAN *\"")]
    public void Describe_SpellsOutCommonCronShapes(string cron, string expected)
    {
        Assert.Equal(expected, ScheduleDescription.Describe(new TriggerSpec.Cron(cron), TimeZones.Utc));
    }

    [Theory]
    [InlineData(90, "90 seconds")]
    [InlineData(300, "5 minutes")]
    [InlineData(3600, "hour")]
    [InlineData(172800, "2 days")]
    public void Describe_SpellsOutIntervals(int seconds, string expected)
    {
        Assert.Equal($"every {expected}", ScheduleDescription.Describe(new TriggerSpec.Interval(TimeSpan.FromSeconds(seconds)), TimeZones.Utc));
    }
}
