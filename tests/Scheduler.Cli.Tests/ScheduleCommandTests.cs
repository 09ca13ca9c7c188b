using System.Text.Json;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Cli.Tests;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class ScheduleCommandTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Add_WritesTheEntry_AndListShowsItInWords()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);

        // Act
        var add = await cli.RunAsync("schedules", "add", "nightly", "--job", "file-import", "--cron", "30 2 * * *", "--tz", "Europe/London",
            "--input", "imports/incoming/", "--args", "{\"table\":\"Customers\"}", "--max-attempts", "3");
        await cli.Dispatcher.TickAsync();
        var list = await cli.RunAsync("schedules", "list");
        var json = await cli.RunAsync("schedules", "list", "--json");

        // Assert
        Assert.Equal(0, add.Code);
        Assert.StartsWith("added nightly: file-import, daily at 02:30 (Europe/London); next due ", add.Out);
        Assert.Equal("", add.Err);
        Assert.Contains("daily at 02:30", list.Out);
        using var rows = JsonDocument.Parse(json.Out);
        var row = Assert.Single(rows.RootElement.EnumerateArray());
        Assert.Equal(("nightly", "file-import", "Active"), (row.GetProperty("id").GetString(), row.GetProperty("job").GetString(), row.GetProperty("status").GetString()));
        var entity = Assert.Single(await cli.EntriesAsync());
        Assert.Equal(3, entity.GetInt32("MaxAttempts"));
    }

    public static TheoryData<string[], string> Refusals => new()
    {
        { ["--job", "heartbeat", "--cron", "0 */5 * *"], "Cron \"0 */5 * *\" has 4 fields; use 5" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--tz", "Mars/Olympus"], "TimeZone \"Mars/Olympus\" is not a known zone" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--args", "[1,2]"], "Args must be a JSON object" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--args", "{oops"], "Args is not valid JSON" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--input", "secrets/keys/"], "Input container \"secrets\" is not allowed; use one of: imports" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--input", "imports/../etc"], "contains '.' or '..' segments" },
        { ["--job", "heartbeat", "--every", "0s"], "is zero or negative; use at least 1 second" },
        { ["--job", "heartbeat", "--every", "sometimes"], "Interval \"sometimes\" is not a duration" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--every", "5m"], "Cron and Interval are both set; keep exactly one" },
        { ["--job", "heartbeat", "--cron", "*/5 * * *", "--every", "5m"], "Cron and Interval are both set; keep exactly one of Cron, Interval or RunAt; Cron \"*/5 * * *\" has 4 fields" },
        { ["--job", "hearbeat", "--every", "1h"], "job \"hearbeat\" is not in the Jobs catalog (file-import, heartbeat); check the name, or pass --allow-unlisted-job" },
        { ["--job", "heartbeat"], "no trigger: set exactly one of Cron" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--start", "2026-12-02T00:00Z", "--end", "2026-12-01T00:00Z"], "is not after StartAt" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--overlap", "Sometimes"], "Overlap \"Sometimes\" is not one of Skip, BufferOne, BufferAll, AllowAll" },
        { ["--job", "heartbeat", "--cron", "0 9 * * *", "--max-attempts", "0"], "MaxAttempts is 0; use a value from 1 to 100" },
        { ["--job", "heartbeat", "--at", "tomorrow-ish"], "RunAt \"tomorrow-ish\" is not a date and time" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Add_RefusesInvalidEntries_WithOneLine_AndWritesNothing(string[] options, string message)
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);

        // Act
        var result = await cli.RunAsync(["schedules", "add", "broken", .. options]);

        // Assert
        Assert.Equal(2, result.Code);
        Assert.Contains(message, result.Err);
        Assert.StartsWith("error: ", result.Err);
        Assert.Single(result.Err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", result.Err);
        Assert.Empty(await cli.EntriesAsync());
    }

    [Fact]
    public async Task AddAndSet_RefuseTheWrongOne_AndSetKeepsUntouchedColumns()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "report", "--job", "heartbeat", "--cron", "0 9 * * *", "--description", "the 9 o'clock");

        // Act
        var addAgain = await cli.RunAsync("schedules", "add", "report", "--job", "heartbeat", "--every", "5m");
        var setMissing = await cli.RunAsync("schedules", "set", "ghost", "--every", "5m");
        var setBad = await cli.RunAsync("schedules", "set", "report", "--tz", "Nowhere/Land");
        var afterBad = Assert.Single(await cli.EntriesAsync());
        var set = await cli.RunAsync("schedules", "set", "report", "--every", "15m");

        // Assert
        Assert.Equal((2, "error: schedule report exists; change it with `scheduler schedules set report ...`"), (addAgain.Code, addAgain.Err.Trim()));
        Assert.Equal(2, setMissing.Code);
        Assert.Contains("no schedule ghost", setMissing.Err);
        Assert.Equal(2, setBad.Code);
        Assert.Equal("0 9 * * *", afterBad.GetString("Cron"));
        Assert.Equal(0, set.Code);
        var entity = Assert.Single(await cli.EntriesAsync());
        Assert.Equal(("15m", null, "the 9 o'clock"), (entity.GetString("Interval"), entity.GetString("Cron"), entity.GetString("Description")));
    }

    [Fact]
    public async Task Add_OfAJobMissingFromTheCatalog_IsWrittenOnlyWhenAllowed_WithAWarning()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);

        // Act
        var refused = await cli.RunAsync("schedules", "add", "future", "--job", "not-deployed-yet", "--cron", "0 9 * * *");
        var afterRefusal = await cli.EntriesAsync();
        var allowed = await cli.RunAsync("schedules", "add", "future", "--job", "not-deployed-yet", "--cron", "0 9 * * *", "--allow-unlisted-job");
        var setOther = await cli.RunAsync("schedules", "set", "future", "--job", "also-not-deployed");
        var setElsewhere = await cli.RunAsync("schedules", "set", "future", "--cron", "0 10 * * *");

        // Assert
        Assert.Equal(2, refused.Code);
        Assert.Empty(afterRefusal);
        Assert.Equal(0, allowed.Code);
        Assert.Contains("warning: job \"not-deployed-yet\" is not in the Jobs catalog (file-import, heartbeat)", allowed.Err);
        Assert.Equal(2, setOther.Code); // naming another unlisted job needs the option again
        Assert.Contains("--allow-unlisted-job", setOther.Err);
        Assert.Equal(0, setElsewhere.Code); // changing another column of an allowed entry only warns
        Assert.Contains("warning: job \"not-deployed-yet\"", setElsewhere.Err);
        var entity = Assert.Single(await cli.EntriesAsync());
        Assert.Equal(("not-deployed-yet", "0 10 * * *"), (entity.GetString("Job"), entity.GetString("Cron")));
    }

    [Fact]
    public async Task PauseResumeRunRemove_GoThroughTheTablesAndTheClaimPath()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "beat", "--job", "heartbeat", "--cron", "0 0 1 1 *");
        await cli.Dispatcher.TickAsync();

        // Act
        var pause = await cli.RunAsync("schedules", "pause", "beat", "--note", "maintenance");
        await cli.Dispatcher.TickAsync();
        var paused = await cli.RunAsync("schedules", "list", "--status", "Paused", "--json");
        var resume = await cli.RunAsync("schedules", "resume", "beat");
        await cli.Dispatcher.TickAsync();
        var run = await cli.RunAsync("schedules", "run", "beat");
        await cli.Dispatcher.TickAsync();
        var runs = await cli.RunAsync("runs", "beat", "--status", "Succeeded", "--json");
        var pauseMissing = await cli.RunAsync("schedules", "pause", "ghost");
        var remove = await cli.RunAsync("schedules", "remove", "beat");
        var removeAgain = await cli.RunAsync("schedules", "remove", "beat");

        // Assert
        Assert.Equal((0, 0, 0, 0), (pause.Code, resume.Code, run.Code, remove.Code));
        Assert.Single(JsonDocument.Parse(paused.Out).RootElement.EnumerateArray());
        var ledger = JsonDocument.Parse(runs.Out).RootElement;
        Assert.Equal("Manual", Assert.Single(ledger.EnumerateArray()).GetProperty("reason").GetString());
        Assert.Equal(2, pauseMissing.Code);
        Assert.Contains("no schedule", pauseMissing.Err);
        Assert.Empty(await cli.EntriesAsync());
        Assert.Equal((2, "error: no schedule beat"), (removeAgain.Code, removeAgain.Err.Trim()));
    }

    [Fact]
    public async Task ListNextAndJson_SayWhatIsTrue_PausedEnabledAndQuotes()
    {
        // Arrange: a paused schedule with quotes in its note and description, and an entry with Enabled="maybe"
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "quiet", "--job", "heartbeat", "--cron", "0 9 * * *", "--description", "the \"quiet\" one");
        await cli.RunAsync("schedules", "pause", "quiet", "--note", "vendor \"outage\"");
        await cli.Schedules.UpsertEntityAsync(new Azure.Data.Tables.TableEntity("default", "unsure") { ["Job"] = "heartbeat", ["Cron"] = "0 9 * * *", ["Enabled"] = "maybe" });
        await cli.Dispatcher.TickAsync();

        // Act
        var next = await cli.RunAsync("schedules", "next", "quiet", "-n", "2");
        var list = await cli.RunAsync("schedules", "list");
        var json = await cli.RunAsync("schedules", "list", "--json");
        var show = await cli.RunAsync("schedules", "show", "quiet", "--json");

        // Assert
        Assert.Equal(0, next.Code);
        Assert.Contains("warning: quiet is paused (vendor \"outage\"): nothing runs until it is resumed", next.Err);
        Assert.Contains("(paused)", next.Out);
        var unsure = list.Out.Split('\n').Single(l => l.Contains("unsure", StringComparison.Ordinal));
        Assert.Contains("not true or false", unsure);
        var rows = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Contains("Enabled must be true or false; found", rows["unsure"].GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, rows["unsure"].GetProperty("enabled").ValueKind);
        Assert.False(rows["quiet"].GetProperty("enabled").GetBoolean());
        Assert.Contains("\\\"quiet\\\"", show.Out);
        Assert.DoesNotContain("\\u0022", show.Out + json.Out);
    }

    [Fact]
    public async Task Backfill_QueuesPastOccurrencesOnce_AndTheTickRunsThem()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "hourly", "--job", "heartbeat", "--cron", "0 * * * *");
        await cli.Dispatcher.TickAsync();

        // Act
        var refused = await cli.RunAsync("schedules", "backfill", "hourly", "--from", "2026-11-02T00:00Z", "--to", "2026-11-01T00:00Z");
        var first = await cli.RunAsync("schedules", "backfill", "hourly", "--from", "2026-11-01T00:00Z", "--to", "2026-11-01T03:00Z");
        await cli.Dispatcher.TickAsync();
        var again = await cli.RunAsync("schedules", "backfill", "hourly", "--from", "2026-11-01T00:00Z", "--to", "2026-11-01T03:00Z");

        // Assert
        Assert.Equal(2, refused.Code);
        Assert.Contains("ends", refused.Err);
        Assert.Equal("queued 4 occurrences of hourly from 2026-11-01T00:00:00Z to 2026-11-01T03:00:00Z", first.Out.Trim());
        var runs = await cli.States.ReadRunsAsync(new ScheduleKey("default", "hourly"));
        Assert.Equal(4, runs.Count(r => r.Status == RunStatus.Succeeded));
        Assert.Equal("queued 0 occurrences of hourly", again.Out.Trim());
    }

    [Fact]
    public async Task Next_ShowsZoneOffsetsAcrossDst_AndUtc()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "early", "--job", "heartbeat", "--cron", "30 1 * * *", "--tz", "Europe/London", "--start", "2027-03-27T00:00Z");

        // Act
        var result = await cli.RunAsync("schedules", "next", "early", "-n", "3", "--json");

        // Assert: London moves to BST on 2027-03-28
        Assert.Equal(0, result.Code);
        var times = JsonDocument.Parse(result.Out).RootElement.EnumerateArray().Select(t => (t.GetProperty("local").GetString(), t.GetProperty("utc").GetString())).ToList();
        Assert.Equal(
        [
            ("2027-03-27 01:30:00 +00:00", "2027-03-27T01:30:00Z"),
            ("2027-03-28 02:00:00 +01:00", "2027-03-28T01:00:00Z"),
            ("2027-03-29 01:30:00 +01:00", "2027-03-29T00:30:00Z"),
        ], times);
    }

    [Fact]
    public async Task Next_From_PreviewsAStoredScheduleFromAnyMoment_InItsZone()
    {
        // Arrange: Dublin's autumn change, 2026-10-25 02:00 +01 -> 01:00 +00, with both passes asked for
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "twice", "--job", "heartbeat", "--cron", "30 1 * * *", "--tz", "Europe/Dublin", "--dst", "Twice");

        // Act: --from without an offset is wall-clock time in the schedule's zone
        var result = await cli.RunAsync("schedules", "next", "twice", "-n", "3", "--from", "2026-10-24T12:00", "--json");
        var bad = await cli.RunAsync("schedules", "next", "twice", "--from", "next tuesday");

        // Assert
        Assert.Equal(0, result.Code);
        var times = JsonDocument.Parse(result.Out).RootElement.EnumerateArray().Select(t => t.GetProperty("local").GetString()).ToList();
        Assert.Equal(["2026-10-25 01:30:00 +01:00", "2026-10-25 01:30:00 +00:00", "2026-10-26 01:30:00 +00:00"], times);
        Assert.Equal(2, bad.Code);
        Assert.Contains("--from \"next tuesday\" is not a date and time", bad.Err);
    }
}
