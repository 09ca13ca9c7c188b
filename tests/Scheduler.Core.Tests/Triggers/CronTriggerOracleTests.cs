using System.Globalization;
using NodaTime;
using Scheduler.Core.Tests.Triggers.Oracle;
using Scheduler.Schedules;
using Scheduler.Triggers;
using Xunit.Abstractions;

namespace Scheduler.Core.Tests.Triggers;

/// <summary>The cron trigger against the tests' own brute-force oracle, over whole years and every zone's offset changes.</summary>
public sealed class CronTriggerOracleTests(ITestOutputHelper output)
{
    private static readonly string[] Expressions =
        ["30 1 * * *", "0 2 * * *", "30 2 * * *", "0 0 * * *", "30 23 * * *", "*/30 * * * *", "0 * * * *", "15 2 * * 0", "45 2 * * *", "0 1-3 * * *"];

    public static TheoryData<string, int> ZoneYears => new()
    {
        { "Europe/Dublin", 2026 },        // negative DST: winter GMT is the "daylight" offset
        { "Europe/Volgograd", 2018 },     // base offset +3 -> +4
        { "Europe/Volgograd", 2020 },     // base offset +4 -> +3
        { "America/Caracas", 2007 },      // -4 -> -4:30
        { "America/Caracas", 2016 },      // -4:30 -> -4
        { "Pacific/Apia", 2011 },         // 2011-12-30 did not exist
        { "Australia/Lord_Howe", 2026 },  // 30-minute DST
        { "Pacific/Chatham", 2026 },      // +12:45 / +13:45
        { "America/Sao_Paulo", 2018 },    // DST began at midnight
        { "America/Sao_Paulo", 2019 },    // and ended at midnight
        { "America/Santiago", 2026 },     // midnight changes, southern hemisphere
        { "America/New_York", 2026 },
        { "Europe/London", 2026 },
        { "Asia/Kolkata", 2026 },         // no changes at all
    };

    [Theory]
    [MemberData(nameof(ZoneYears))]
    public void WholeYear_AgreesWithTheOracle_UnderEveryPolicy(string zoneId, int year)
    {
        // Arrange
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        var from = new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(-1);
        var until = from.AddDays(368);
        var compared = 0;
        foreach (var text in Expressions)
        {
            foreach (var dst in Enum.GetValues<DstPolicy>())
            {
                // Act
                var expected = WallClockOracle.Occurrences(new OracleCron(text), zone, dst, from, until);
                var actual = Walk(CronTrigger.Parse(text, zone, dst), from, until);

                // Assert
                AssertSame(expected, actual, $"{text} in {zoneId} under {dst}", zone);
                compared += expected.Count;
            }
        }

        Assert.True(compared > 10_000, $"compared only {compared} occurrences");
    }

    [Fact]
    public void EveryZone_AroundEveryOffsetChangeFrom1970To2037_AgreesWithTheOracle_Advances_AndStaysBounded()
    {
        // Arrange
        string[] expressions = ["30 1 * * *", "*/30 * * * *", "0 0 * * *", "15 2 * * *", "0 3 * * 0"];
        var start = Instant.FromUtc(1970, 1, 1, 0, 0);
        var end = Instant.FromUtc(2038, 1, 1, 0, 0);
        var transitions = 0;
        var worstPeriods = 0;
        var compared = 0;
        var canonical = NodaTime.TimeZones.TzdbDateTimeZoneSource.Default.CanonicalIdMap.Where(id => id.Key == id.Value).Select(id => id.Key).Order().ToList();
        foreach (var zoneId in canonical)
        {
            var zone = DateTimeZoneProviders.Tzdb[zoneId];
            foreach (var change in zone.GetZoneIntervals(start, end).Skip(1).Select(i => i.Start))
            {
                transitions++;
                var from = change.Minus(Duration.FromHours(30)).ToDateTimeOffset();
                var until = change.Plus(Duration.FromHours(30)).ToDateTimeOffset();
                foreach (var text in expressions)
                {
                    foreach (var dst in Enum.GetValues<DstPolicy>())
                    {
                        // Act
                        var trigger = CronTrigger.Parse(text, zone, dst);
                        var actual = new List<DateTimeOffset>();
                        for (var at = from; trigger.NextAfter(at, out var periods) is { } next && next <= until; at = next)
                        {
                            // Assert
                            Assert.True(next > at, $"{text} in {zoneId} under {dst}: {next:O} does not advance past {at:O}");
                            worstPeriods = Math.Max(worstPeriods, periods);
                            actual.Add(next);
                        }

                        AssertSame(WallClockOracle.Occurrences(new OracleCron(text), zone, dst, from, until), actual, $"{text} in {zoneId} under {dst} around {change}", zone);
                        compared += actual.Count;
                    }
                }
            }
        }

        output.WriteLine($"{canonical.Count} zones, {transitions} offset changes, {compared} occurrences compared, at most {worstPeriods} offset periods walked per call");
        Assert.True(transitions > 10_000, $"only {transitions} offset changes seen");
        Assert.InRange(worstPeriods, 1, 4); // an expression that matches daily never walks more than a few offset periods
    }

    [Theory]
    [InlineData("Pacific/Apia", "2011-12-29T00:00:00Z")]
    [InlineData("Europe/Volgograd", "2018-10-27T00:00:00Z")]
    [InlineData("America/Caracas", "2016-04-30T00:00:00Z")]
    public void Skip_AcrossGapsThatOnceLooped_ReturnsAndAdvances(string zoneId, string after)
    {
        // Arrange
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        var at = DateTimeOffset.Parse(after, CultureInfo.InvariantCulture);
        foreach (var text in new[] { "30 2 * * *", "* * * * *", "0 0 * * *", "*/15 2-3 * * *", "0 1 30 12 *" })
        {
            var trigger = CronTrigger.Parse(text, zone, DstPolicy.Skip);

            // Act
            var next = trigger.NextAfter(at, out var periods);

            // Assert
            Assert.True(next > at, $"{text}: {next:O}");
            Assert.InRange(periods, 1, CronTrigger.MaxZoneIntervals);
        }
    }

    [Fact]
    public void AnExpressionThatMatchesOnceEveryFewYears_IsFoundWithoutUnboundedWork()
    {
        // Arrange: 29 February, in a zone with two changes a year
        var trigger = CronTrigger.Parse("30 2 29 2 *", DateTimeZoneProviders.Tzdb["Europe/London"], DstPolicy.Skip);

        // Act
        var next = trigger.NextAfter(new DateTimeOffset(2097, 3, 1, 0, 0, 0, TimeSpan.Zero), out var periods);

        // Assert: 2100 is not a leap year, so the next is 2104
        Assert.Equal(new DateTimeOffset(2104, 2, 29, 2, 30, 0, TimeSpan.Zero), next);
        Assert.InRange(periods, 2, 30);
    }

    private static List<DateTimeOffset> Walk(CronTrigger trigger, DateTimeOffset from, DateTimeOffset until)
    {
        var times = new List<DateTimeOffset>();
        for (var at = from; trigger.NextAfter(at) is { } next && next <= until; at = next)
        {
            Assert.True(next > at, $"{next:O} does not advance past {at:O}");
            times.Add(next);
        }

        return times;
    }

    private static void AssertSame(SortedSet<DateTimeOffset> expected, IReadOnlyList<DateTimeOffset> actual, string what, DateTimeZone zone)
    {
        if (expected.SequenceEqual(actual))
        {
            return;
        }

        string Show(DateTimeOffset t) => WallClock.InZone(t, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
        var missing = expected.Except(actual).Take(5).Select(Show);
        var extra = actual.Except(expected).Take(5).Select(Show);
        Assert.Fail($"{what}: missing [{string.Join(", ", missing)}], extra [{string.Join(", ", extra)}] ({expected.Count} expected, {actual.Count} produced)");
    }
}
