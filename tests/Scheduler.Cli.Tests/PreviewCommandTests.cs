using System.Text.Json;
using Scheduler.Schedules;

namespace Scheduler.Cli.Tests;

/// <summary>`scheduler preview`: no storage at all (no connection is given or reachable), the dispatcher's validator and trigger.</summary>
public sealed class PreviewCommandTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await SchedulerCli.RunAsync(["preview", .. args, "--connection", "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://127.0.0.1:1"], output, error, _ => null);
        return (code, output.ToString(), error.ToString());
    }

    private static List<string?> Local(string json, string property = "local") =>
        [.. JsonDocument.Parse(json).RootElement.GetProperty("times").EnumerateArray().Select(t => t.GetProperty(property).GetString())];

    [Fact]
    public async Task Cron_InAZoneWithNegativeDst_ShowsBothPassesUnderTwice_WithOffsetsAndUtc()
    {
        // Act
        var twice = await RunAsync("--cron", "30 1 * * *", "--tz", "Europe/Dublin", "--dst-policy", "Twice", "--from", "2026-10-24T12:00", "-n", "3", "--json");
        var shift = await RunAsync("--cron", "30 1 * * *", "--tz", "Europe/Dublin", "--from", "2026-10-24T12:00", "-n", "2", "--json");

        // Assert
        Assert.Equal((0, ""), (twice.Code, twice.Err));
        Assert.Equal(["2026-10-25 01:30:00 +01:00", "2026-10-25 01:30:00 +00:00", "2026-10-26 01:30:00 +00:00"], Local(twice.Out));
        Assert.Equal(["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"], Local(twice.Out, "utc"));
        Assert.Equal(["2026-10-25 01:30:00 +01:00", "2026-10-26 01:30:00 +00:00"], Local(shift.Out));
        Assert.Equal(TimeZones.TzdbVersion, JsonDocument.Parse(twice.Out).RootElement.GetProperty("tzdb").GetString());
    }

    [Fact]
    public async Task SkippedDay_UnderSkip_ReturnsAtOnce()
    {
        // Act: Apia skipped 2011-12-30 entirely
        var result = await RunAsync("--cron", "0 1 * * *", "--tz", "Pacific/Apia", "--dst", "Skip", "--from", "2011-12-28T12:00", "-n", "3", "--json");

        // Assert
        Assert.Equal(0, result.Code);
        Assert.Equal(["2011-12-29 01:00:00 -10:00", "2011-12-31 01:00:00 +14:00", "2012-01-01 01:00:00 +14:00"], Local(result.Out));
    }

    [Fact]
    public async Task HumanOutput_NamesTheTrigger_Zone_Policy_AndTzdb_AndPointsOutBothDayFields()
    {
        // Act: the first Monday of the month, written the classic way
        var result = await RunAsync("--cron", "0 9 1-7 * MON", "--tz", "America/New_York", "--from", "2026-12-01T00:00", "-n", "2");

        // Assert: with both day fields restricted, Cronos runs on days matching both (the first Monday)
        Assert.Equal(0, result.Code);
        Assert.Contains("runs only on days that match both day-of-month and day-of-week", result.Out);
        Assert.Contains($"in America/New_York, DstPolicy Shift, tzdb {TimeZones.TzdbVersion}; after 2026-12-01 00:00:00 -05:00 (2026-12-01T05:00:00Z)", result.Out);
        Assert.Contains("2026-12-07 09:00:00 -05:00", result.Out);
        Assert.Contains("2027-01-04 09:00:00 -05:00", result.Out);
    }

    [Fact]
    public async Task Every_And_At_ArePreviewedToo()
    {
        // Act
        var every = await RunAsync("--every", "90m", "--from", "2026-06-01T00:00Z", "-n", "2", "--json");
        var at = await RunAsync("--at", "2027-03-28T01:30", "--tz", "Europe/London", "--from", "2027-01-01T00:00Z", "--json");

        // Assert: a one-shot wall time in the spring gap moves forward by the gap
        Assert.Equal(["2026-06-01 01:30:00 +00:00", "2026-06-01 03:00:00 +00:00"], Local(every.Out));
        Assert.Equal(["2027-03-28 02:30:00 +01:00"], Local(at.Out));
    }

    [Theory]
    [InlineData(new[] { "--cron", "61 * * * *" }, "Cron \"61 * * * *\" is not valid")]
    [InlineData(new[] { "--cron", "0 9 * * *", "--tz", "Mars/Olympus" }, "TimeZone \"Mars/Olympus\" is not a known zone")]
    [InlineData(new[] { "--cron", "0 9 * * *", "--dst", "Sometimes" }, "DstPolicy \"Sometimes\" is not one of Shift, Skip, Twice")]
    [InlineData(new[] { "--cron", "0 9 * * *", "--from", "soon" }, "--from \"soon\" is not a date and time")]
    [InlineData(new string[0], "no trigger: set exactly one of Cron")]
    public async Task BadInput_IsAOneLineErrorWithExitCode2(string[] args, string message)
    {
        // Act
        var result = await RunAsync(args);

        // Assert
        Assert.Equal(2, result.Code);
        Assert.StartsWith("error: ", result.Err);
        Assert.Contains(message, result.Err);
        Assert.Equal("", result.Out);
    }
}
