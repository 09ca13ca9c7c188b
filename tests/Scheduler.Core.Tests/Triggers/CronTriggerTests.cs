using System.Globalization;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Core.Tests.Triggers;

public sealed class CronTriggerTests
{
    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static string NextInZone(string cron, string zoneId, DstPolicy dst, string after)
    {
        Assert.True(TimeZones.TryResolve(zoneId, out var zone));
        var next = CronTrigger.Parse(cron, zone, dst).NextAfter(At(after));
        return next is { } n ? WallClock.InZone(n, zone).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture) : "never";
    }

    [Theory]
    // America/New_York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT
    [InlineData("30 2 * * *",    "America/New_York", DstPolicy.Shift, "2026-03-08T01:59:00-05:00", "2026-03-08T03:00:00-04:00")]
    [InlineData("30 2 * * *",    "America/New_York", DstPolicy.Skip,  "2026-03-08T01:59:00-05:00", "2026-03-09T02:30:00-04:00")]
    [InlineData("30 2 * * *",    "America/New_York", DstPolicy.Twice, "2026-03-08T01:59:00-05:00", "2026-03-08T03:00:00-04:00")]
    [InlineData("0 * * * *",     "America/New_York", DstPolicy.Shift, "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00")]
    [InlineData("0 * * * *",     "America/New_York", DstPolicy.Skip,  "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00")]
    [InlineData("30 3 * * *",    "America/New_York", DstPolicy.Shift, "2026-03-08T01:00:00-05:00", "2026-03-08T03:30:00-04:00")]
    [InlineData("*/30 * * * *",  "America/New_York", DstPolicy.Shift, "2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00")]
    // America/New_York, fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:00-01:59 happens twice
    [InlineData("30 1 * * *",    "America/New_York", DstPolicy.Shift, "2026-11-01T00:00:00-04:00", "2026-11-01T01:30:00-04:00")]
    [InlineData("30 1 * * *",    "America/New_York", DstPolicy.Shift, "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00")]
    [InlineData("30 1 * * *",    "America/New_York", DstPolicy.Skip,  "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00")]
    [InlineData("30 1 * * *",    "America/New_York", DstPolicy.Twice, "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00")]
    [InlineData("30 1 * * *",    "America/New_York", DstPolicy.Twice, "2026-11-01T01:10:00-04:00", "2026-11-01T01:30:00-04:00")]
    [InlineData("30 1 * * *",    "America/New_York", DstPolicy.Twice, "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00")]
    [InlineData("0 1 * * *",     "America/New_York", DstPolicy.Twice, "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00")]
    [InlineData("*/30 * * * *",  "America/New_York", DstPolicy.Shift, "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00")]
    [InlineData("*/30 * * * *",  "America/New_York", DstPolicy.Twice, "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00")]
    [InlineData("0 2 * * *",     "America/New_York", DstPolicy.Shift, "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00")]
    // Windows id for the same zone
    [InlineData("30 2 * * *",    "Eastern Standard Time", DstPolicy.Shift, "2026-03-08T01:59:00-05:00", "2026-03-08T03:00:00-04:00")]
    // Europe/London, spring forward 2026-03-29 01:00 GMT -> 02:00 BST
    [InlineData("30 1 * * *",    "Europe/London", DstPolicy.Shift, "2026-03-29T00:59:00+00:00", "2026-03-29T02:00:00+01:00")]
    [InlineData("30 1 * * *",    "Europe/London", DstPolicy.Skip,  "2026-03-29T00:59:00+00:00", "2026-03-30T01:30:00+01:00")]
    [InlineData("0 9 * * MON-FRI", "Europe/London", DstPolicy.Shift, "2026-03-27T09:00:00+00:00", "2026-03-30T09:00:00+01:00")]
    // Europe/London, fall back 2026-10-25 02:00 BST -> 01:00 GMT
    [InlineData("30 1 * * *",    "Europe/London", DstPolicy.Shift, "2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00")]
    [InlineData("30 1 * * *",    "Europe/London", DstPolicy.Twice, "2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00+00:00")]
    [InlineData("*/20 1 * * *",  "Europe/London", DstPolicy.Shift, "2026-10-25T01:40:00+01:00", "2026-10-25T01:00:00+00:00")]
    // Offset changes that are not ordinary DST, with explicit offsets (the tzdb's own history)
    // Europe/Dublin: negative DST; winter GMT is the "daylight" offset. 2026-10-25 02:00 +01 -> 01:00 +00; 2026-03-29 01:00 +00 -> 02:00 +01
    [InlineData("30 1 * * *",    "Europe/Dublin", DstPolicy.Twice, "2026-10-25T00:00:00+01:00", "2026-10-25T01:30:00+01:00")]
    [InlineData("30 1 * * *",    "Europe/Dublin", DstPolicy.Twice, "2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00+00:00")]
    [InlineData("30 1 * * *",    "Europe/Dublin", DstPolicy.Shift, "2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00")]
    [InlineData("30 1 * * *",    "Europe/Dublin", DstPolicy.Shift, "2026-03-29T00:00:00+00:00", "2026-03-29T02:00:00+01:00")]
    [InlineData("30 1 * * *",    "Europe/Dublin", DstPolicy.Skip,  "2026-03-29T00:00:00+00:00", "2026-03-30T01:30:00+01:00")]
    // Europe/Volgograd: base offset +03 -> +04 on 2018-10-28 02:00 (a gap), back to +03 on 2020-12-27 02:00 +04 (an overlap)
    [InlineData("30 2 * * *",    "Europe/Volgograd", DstPolicy.Shift, "2018-10-28T00:00:00+03:00", "2018-10-28T03:00:00+04:00")]
    [InlineData("30 2 * * *",    "Europe/Volgograd", DstPolicy.Skip,  "2018-10-28T00:00:00+03:00", "2018-10-29T02:30:00+04:00")]
    [InlineData("30 1 * * *",    "Europe/Volgograd", DstPolicy.Twice, "2020-12-27T01:30:00+04:00", "2020-12-27T01:30:00+03:00")]
    [InlineData("30 1 * * *",    "Europe/Volgograd", DstPolicy.Shift, "2020-12-27T01:30:00+04:00", "2020-12-28T01:30:00+03:00")]
    [InlineData("*/30 * * * *",  "Europe/Volgograd", DstPolicy.Shift, "2020-12-27T01:30:00+04:00", "2020-12-27T01:00:00+03:00")]
    // America/Caracas: 2007-12-09 03:00 -04 -> 02:30 -04:30 (an overlap); 2016-05-01 02:30 -04:30 -> 03:00 -04 (a gap)
    [InlineData("45 2 * * *",    "America/Caracas", DstPolicy.Twice, "2007-12-09T02:45:00-04:00", "2007-12-09T02:45:00-04:30")]
    [InlineData("45 2 * * *",    "America/Caracas", DstPolicy.Shift, "2007-12-09T02:45:00-04:00", "2007-12-10T02:45:00-04:30")]
    [InlineData("45 2 * * *",    "America/Caracas", DstPolicy.Shift, "2016-05-01T00:00:00-04:30", "2016-05-01T03:00:00-04:00")]
    [InlineData("45 2 * * *",    "America/Caracas", DstPolicy.Skip,  "2016-05-01T00:00:00-04:30", "2016-05-02T02:45:00-04:00")]
    // Pacific/Apia: 2011-12-30 did not exist (2011-12-29 24:00 -10 -> 2011-12-31 00:00 +14)
    [InlineData("0 1 * * *",     "Pacific/Apia", DstPolicy.Shift, "2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00")]
    [InlineData("0 1 * * *",     "Pacific/Apia", DstPolicy.Shift, "2011-12-31T00:00:00+14:00", "2011-12-31T01:00:00+14:00")]
    [InlineData("0 1 * * *",     "Pacific/Apia", DstPolicy.Skip,  "2011-12-29T12:00:00-10:00", "2011-12-31T01:00:00+14:00")]
    // Australia/Lord_Howe: 30-minute DST. 2026-04-05 02:00 +11 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11
    [InlineData("45 1 * * *",    "Australia/Lord_Howe", DstPolicy.Twice, "2026-04-05T01:45:00+11:00", "2026-04-05T01:45:00+10:30")]
    [InlineData("45 1 * * *",    "Australia/Lord_Howe", DstPolicy.Shift, "2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30")]
    [InlineData("15 2 * * *",    "Australia/Lord_Howe", DstPolicy.Shift, "2026-10-04T00:00:00+10:30", "2026-10-04T02:30:00+11:00")]
    [InlineData("15 2 * * *",    "Australia/Lord_Howe", DstPolicy.Skip,  "2026-10-04T00:00:00+10:30", "2026-10-05T02:15:00+11:00")]
    // Pacific/Chatham: +12:45 / +13:45. 2026-04-05 03:45 -> 02:45; 2026-09-27 02:45 -> 03:45
    [InlineData("0 3 * * *",     "Pacific/Chatham", DstPolicy.Twice, "2026-04-05T03:00:00+13:45", "2026-04-05T03:00:00+12:45")]
    [InlineData("0 3 * * *",     "Pacific/Chatham", DstPolicy.Shift, "2026-09-27T00:00:00+12:45", "2026-09-27T03:45:00+13:45")]
    // America/Sao_Paulo: DST began at midnight 2018-11-04 (00:00 -> 01:00) and ended at midnight 2019-02-17 (-> 2019-02-16 23:00)
    [InlineData("0 0 * * *",     "America/Sao_Paulo", DstPolicy.Shift, "2018-11-03T12:00:00-03:00", "2018-11-04T01:00:00-02:00")]
    [InlineData("0 0 * * *",     "America/Sao_Paulo", DstPolicy.Skip,  "2018-11-03T12:00:00-03:00", "2018-11-05T00:00:00-02:00")]
    [InlineData("30 23 * * *",   "America/Sao_Paulo", DstPolicy.Twice, "2019-02-16T23:30:00-02:00", "2019-02-16T23:30:00-03:00")]
    // America/Santiago: 2026-04-05 00:00 -03 -> 2026-04-04 23:00 -04; 2026-09-06 00:00 -04 -> 01:00 -03
    [InlineData("30 23 * * *",   "America/Santiago", DstPolicy.Twice, "2026-04-04T23:30:00-03:00", "2026-04-04T23:30:00-04:00")]
    [InlineData("30 0 * * *",    "America/Santiago", DstPolicy.Shift, "2026-09-05T12:00:00-04:00", "2026-09-06T01:00:00-03:00")]
    [InlineData("30 0 * * *",    "America/Santiago", DstPolicy.Skip,  "2026-09-05T12:00:00-04:00", "2026-09-07T00:30:00-03:00")]
    // Feb 29 and month ends
    [InlineData("0 12 29 2 *",   "UTC", DstPolicy.Shift, "2026-03-01T00:00:00+00:00", "2028-02-29T12:00:00+00:00")]
    [InlineData("0 0 L * *",     "UTC", DstPolicy.Shift, "2026-01-31T00:00:00+00:00", "2026-02-28T00:00:00+00:00")]
    [InlineData("0 0 L * *",     "UTC", DstPolicy.Shift, "2028-02-01T00:00:00+00:00", "2028-02-29T00:00:00+00:00")]
    [InlineData("0 0 31 * *",    "UTC", DstPolicy.Shift, "2026-04-01T00:00:00+00:00", "2026-05-31T00:00:00+00:00")]
    [InlineData("0 0 30 * *",    "UTC", DstPolicy.Shift, "2026-01-30T00:00:00+00:00", "2026-03-30T00:00:00+00:00")]
    [InlineData("0 18 L * *",    "America/New_York", DstPolicy.Shift, "2026-10-31T18:00:00-04:00", "2026-11-30T18:00:00-05:00")]
    // Year end
    [InlineData("0 0 1 1 *",     "UTC", DstPolicy.Shift, "2026-12-31T23:59:59+00:00", "2027-01-01T00:00:00+00:00")]
    [InlineData("59 23 31 12 *", "America/New_York", DstPolicy.Shift, "2026-12-31T23:00:00-05:00", "2026-12-31T23:59:00-05:00")]
    [InlineData("*/15 * * * * *", "UTC", DstPolicy.Shift, "2026-12-31T23:59:50+00:00", "2027-01-01T00:00:00+00:00")]
    [InlineData("0 0 1 1 *",     "Europe/London", DstPolicy.Shift, "2026-06-01T00:00:00+01:00", "2027-01-01T00:00:00+00:00")]
    // Never again
    [InlineData("0 0 30 2 *",    "UTC", DstPolicy.Shift, "2026-01-01T00:00:00+00:00", "never")]
    public void NextAfter_ReturnsExpectedInstant(string cron, string zone, DstPolicy dst, string after, string expected)
    {
        // Act
        var next = NextInZone(cron, zone, dst, after);

        // Assert
        Assert.Equal(expected, next);
    }

    [Theory]
    [InlineData("America/New_York", "2026-03-07T00:00:00-05:00", 4)]
    [InlineData("America/New_York", "2026-10-31T00:00:00-04:00", 4)]
    [InlineData("Europe/London",    "2026-03-28T00:00:00+00:00", 4)]
    [InlineData("Europe/London",    "2026-10-24T00:00:00+01:00", 4)]
    public void NextAfter_AlwaysAdvances_AcrossTransitionsEveryMinute(string zoneId, string from, int days)
    {
        // Arrange
        Assert.True(TimeZones.TryResolve(zoneId, out var zone));
        foreach (var dst in Enum.GetValues<DstPolicy>())
        {
            var trigger = CronTrigger.Parse("* * * * *", zone, dst);
            var at = At(from);
            var end = at.AddDays(days);
            var count = 0;

            // Act
            while (at < end)
            {
                var next = trigger.NextAfter(at)!.Value;

                // Assert
                Assert.True(next > at, $"{dst}: {next:O} does not advance past {at:O}");
                Assert.True(next - at <= TimeSpan.FromMinutes(1), $"{dst}: gap from {at:O} to {next:O}");
                at = next;
                count++;
            }

            Assert.Equal(days * 24 * 60, count);
        }
    }
}
