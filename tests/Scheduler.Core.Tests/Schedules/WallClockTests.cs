using System.Globalization;
using Scheduler.Schedules;

namespace Scheduler.Core.Tests.Schedules;

public sealed class WallClockTests
{
    [Theory]
    [InlineData("2026-03-08T02:30:00", "America/New_York", "2026-03-08T07:30:00Z")] // gap: moved forward by the gap, 03:30 EDT
    [InlineData("2026-11-01T01:30:00", "America/New_York", "2026-11-01T05:30:00Z")] // overlap: the first instant, 01:30 EDT
    [InlineData("2026-07-01T09:00:00", "Europe/London",    "2026-07-01T08:00:00Z")]
    [InlineData("2026-03-29T01:30:00", "Europe/London",    "2026-03-29T01:30:00Z")] // gap: 02:30 BST
    [InlineData("2026-10-25T01:30:00", "Europe/London",    "2026-10-25T00:30:00Z")] // overlap: 01:30 BST
    [InlineData("2011-12-30T09:00:00", "Pacific/Apia",     "2011-12-30T19:00:00Z")] // a skipped day: a day later, 2011-12-31 09:00 +14
    [InlineData("2016-05-01T02:40:00", "America/Caracas",  "2016-05-01T07:10:00Z")] // base-offset gap: 03:10 -04
    [InlineData("2020-12-27T01:30:00", "Europe/Volgograd", "2020-12-26T21:30:00Z")] // base-offset overlap: 01:30 +04
    [InlineData("1972-01-06T12:00:00", "Africa/Monrovia",  "1972-01-06T12:44:30Z")] // an offset with seconds, -00:44:30
    [InlineData("2026-07-01T09:00:00", "GMT Standard Time", "2026-07-01T08:00:00Z")] // a Windows id
    public void ToInstant_MapsWallClockTimes(string wall, string zoneId, string expectedUtc)
    {
        // Arrange
        Assert.True(TimeZones.TryResolve(zoneId, out var zone));

        // Act
        var instant = WallClock.ToInstant(DateTime.Parse(wall, CultureInfo.InvariantCulture), zone);

        // Assert
        Assert.Equal(DateTimeOffset.Parse(expectedUtc, CultureInfo.InvariantCulture), instant);
    }
}
