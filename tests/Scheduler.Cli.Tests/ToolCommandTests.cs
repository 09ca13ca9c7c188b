using Azure.Data.Tables;
using Scheduler.Cli.Commands;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Cli.Tests;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class ToolCommandTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Doctor_ListsEveryProblem_AndExitsNonZero()
    {
        // Arrange: written raw, the way mistakes get into a table
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.Schedules.UpsertEntityAsync(new TableEntity("default", "typo") { ["Job"] = "heartbeat", ["Cron"] = "0 */5 * *" });
        await cli.Schedules.UpsertEntityAsync(new TableEntity("default", "orphan") { ["Job"] = "retired-job", ["Cron"] = "0 9 * * *" });
        await cli.Schedules.UpsertEntityAsync(new TableEntity("default", "expired") { ["Job"] = "heartbeat", ["Cron"] = "0 9 * * *", ["EndAt"] = DateTimeOffset.UtcNow.AddDays(-1) });
        await cli.Schedules.UpsertEntityAsync(new TableEntity("default", "stuck") { ["Job"] = "heartbeat", ["Cron"] = "0 0 1 1 *" });
        await cli.Schedules.UpsertEntityAsync(new TableEntity("default", "lost") { ["Job"] = "heartbeat", ["Cron"] = "0 0 1 1 *" });
        await cli.Dispatcher.TickAsync();
        var lost = (await cli.States.GetAsync(new ScheduleKey("default", "lost")))!;
        await cli.States.ReplaceAsync(lost, lost.State with { LastStatus = Scheduler.Runs.RunStatus.Lost, LastError = "the run of 2026-01-01T00:00:00Z was lost with its host 3 time(s)" }, lost.WakeAt, DateTimeOffset.UtcNow, default);
        var stuck = (await cli.States.GetAsync(new ScheduleKey("default", "stuck")))!;
        var lease = new InFlightRun(DateTimeOffset.UtcNow.AddMinutes(-20), 1, DateTimeOffset.UtcNow.AddMinutes(-5), "dead-instance", DateTimeOffset.UtcNow.AddMinutes(-20));
        await cli.States.ReplaceAsync(stuck, stuck.State with { InFlight = [lease] }, lease.LeaseUntil, DateTimeOffset.UtcNow, default);

        // Act
        var human = await cli.RunAsync("doctor");
        var json = await cli.RunAsync("doctor", "--json");

        // Assert
        Assert.Equal((1, 1), (human.Code, json.Code));
        var findings = System.Text.Json.JsonDocument.Parse(json.Out).RootElement.EnumerateArray()
            .Select(f => (f.GetProperty("id").GetString(), f.GetProperty("problem").GetString())).Order().ToList();
        Assert.Equal([("expired", "never fires"), ("lost", "lost with its host"), ("orphan", "unknown job"), ("stuck", "stuck in flight"), ("typo", "invalid")], findings);
        Assert.Contains("Cron \"0 */5 * *\" has 4 fields", human.Out);
        Assert.Contains("dead-instance", human.Out);
    }

    [Fact]
    public async Task Doctor_ExitsZero_WhenAllIsWell_AndAOneShotThatRanIsNoProblem()
    {
        // Arrange: an interval schedule, and a one-shot that has run and finished
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "ok", "--job", "heartbeat", "--every", "5m");
        await cli.RunAsync("schedules", "add", "once", "--job", "heartbeat", "--at", DateTimeOffset.UtcNow.ToString("O"));
        await cli.Dispatcher.TickAsync();
        await cli.Dispatcher.TickAsync();

        // Act
        var result = await cli.RunAsync("doctor");

        // Assert
        Assert.Equal(ScheduleStatus.Finished, (await cli.States.GetAsync(new ScheduleKey("default", "once")))!.State.Status);
        Assert.Equal(0, result.Code);
        Assert.Equal(
            ["tables: layout 3 (8 shards)", $"time zones: tzdb {TimeZones.TzdbVersion} (IANA, through NodaTime)", "1 schedule has run its course (one-shots that ran, schedules past their EndAt): not a problem", "all schedules are healthy"],
            result.Out.Trim().Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public void DoctorsLayoutLine_SaysHowAMoveFromLayoutTwoStands()
    {
        var now = new DateTimeOffset(2031, 1, 1, 9, 0, 0, TimeSpan.Zero);
        var sharded = new ShardedLayout(8);
        TablesLayout Moving(DateTimeOffset movesFrom, string? mover, DateTimeOffset until) => new(8, sharded, new StateMove(PerScheduleLayout.Instance, movesFrom, mover, until));

        Assert.Equal("tables: layout 3 (8 shards)", DoctorCommand.LayoutLine(new TablesLayout(8, sharded), now));
        Assert.StartsWith("tables: layout 2 (8 shards); the first host of this version to start moves them", DoctorCommand.LayoutLine(new TablesLayout(8, PerScheduleLayout.Instance), now));
        Assert.Equal("tables: moving from layout 2 to 3, announced; rows move from 2031-01-01T09:02:00Z (8 shards)", DoctorCommand.LayoutLine(Moving(now.AddMinutes(2), null, default), now));
        Assert.Equal("tables: moving from layout 2 to 3; host-2 is moving rows (its hold lasts until 2031-01-01T09:01:00Z)", DoctorCommand.LayoutLine(Moving(now.AddMinutes(-1), "host-2", now.AddMinutes(1)), now));
        Assert.StartsWith("tables: moving from layout 2 to 3; no host holds the move now", DoctorCommand.LayoutLine(Moving(now.AddMinutes(-3), "host-2", now.AddMinutes(-1)), now));
    }

    [Fact]
    public async Task Jobs_ShowsTheCatalogWithExampleArgs()
    {
        await using var cli = await CliHarness.StartAsync(azurite);
        var result = await cli.RunAsync("jobs", "--json");
        var jobs = System.Text.Json.JsonDocument.Parse(result.Out).RootElement.EnumerateArray().Select(j => (j.GetProperty("name").GetString(), j.GetProperty("exampleArgs").GetString())).Order().ToList();
        Assert.Equal([("file-import", "{\"table\":\"Customers\"}"), ("heartbeat", "{\"table\":\"Heartbeats\"}")], jobs);
    }

    [Fact]
    public async Task ExportThenImport_RoundTripsExactly_IncludingColumnTypes()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.Schedules.UpsertEntityAsync(new TableEntity("default", "typed")
        {
            ["Job"] = "heartbeat", ["Cron"] = "0 9 * * *", ["MaxAttempts"] = 3, ["TimeoutSeconds"] = 120L, ["Enabled"] = true,
            ["StartAt"] = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), ["Note"] = 1.5, ["Args"] = "{\"a\":\"ü\\n\"}",
        });
        await cli.Schedules.UpsertEntityAsync(new TableEntity("reports", "weekly") { ["Job"] = "heartbeat", ["Interval"] = "7d", ["Description"] = "quoted \"text\"" });
        var first = Path.GetTempFileName();
        var second = Path.GetTempFileName();
        var before = (await cli.EntriesAsync()).Select(Describe).Order().ToList();

        // Act
        var export = await cli.RunAsync("export", first);
        foreach (var entity in await cli.EntriesAsync())
        {
            await cli.Schedules.DeleteEntityAsync(entity.PartitionKey, entity.RowKey);
        }

        var import = await cli.RunAsync("import", first);
        await cli.RunAsync("export", second);

        // Assert
        Assert.Equal((0, 0), (export.Code, import.Code));
        Assert.Equal(await File.ReadAllTextAsync(first), await File.ReadAllTextAsync(second));
        Assert.Equal(before, (await cli.EntriesAsync()).Select(Describe).Order().ToList());
    }

    [Fact]
    public async Task Import_ValidatesEverythingFirst_AndWritesNothingWhenAnyEntryIsRefused()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """
            { "schedules": [
              { "group": "default", "id": "good", "columns": { "Job": "heartbeat", "Cron": "0 9 * * *" } },
              { "group": "default", "id": "bad", "columns": { "Job": "heartbeat", "Cron": "0 9 * *" } },
              { "group": "default", "id": "worse", "columns": { "Job": "heartbeat", "Interval": "5m", "TimeZone": "Nowhere" } }
            ] }
            """);

        // Act
        var result = await cli.RunAsync("import", file);
        var malformed = Path.GetTempFileName();
        await File.WriteAllTextAsync(malformed, "{ \"schedules\": [ ");
        var broken = await cli.RunAsync("import", malformed);

        // Assert
        Assert.Equal(2, result.Code);
        Assert.Contains("error: bad: Cron \"0 9 * *\" has 4 fields", result.Err);
        Assert.Contains("error: worse: TimeZone \"Nowhere\" is not a known zone", result.Err);
        Assert.Contains("2 of 3 entries refused; nothing was written", result.Err);
        Assert.Equal(2, broken.Code);
        Assert.Contains("is not valid JSON", broken.Err);
        Assert.Empty(await cli.EntriesAsync());
    }

    [Theory]
    [InlineData("schedules", "list")]
    [InlineData("schedules", "show")]
    [InlineData("schedules", "add")]
    [InlineData("schedules", "set")]
    [InlineData("schedules", "pause")]
    [InlineData("schedules", "resume")]
    [InlineData("schedules", "remove")]
    [InlineData("schedules", "run")]
    [InlineData("schedules", "backfill")]
    [InlineData("schedules", "next")]
    [InlineData("runs", null)]
    [InlineData("preview", null)]
    [InlineData("doctor", null)]
    [InlineData("audit", null)]
    [InlineData("jobs", null)]
    [InlineData("export", null)]
    [InlineData("import", null)]
    public async Task EveryCommand_HasHelpWithAnExample(string command, string? subcommand)
    {
        // Act
        var output = new StringWriter();
        var code = await SchedulerCli.RunAsync(subcommand is null ? [command, "--help"] : [command, subcommand, "--help"], output, new StringWriter(), _ => null);

        // Assert
        Assert.Equal(0, code);
        Assert.Contains("Example: scheduler ", output.ToString());
    }

    [Fact]
    public async Task UnknownOption_IsAOneLineUsageError()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await SchedulerCli.RunAsync(["schedules", "add", "x", "--frobnicate"], output, error, _ => null);
        Assert.NotEqual(0, code);
        Assert.Contains("--frobnicate", error.ToString());
        Assert.DoesNotContain("   at ", error.ToString());
    }

    private static string Describe(TableEntity e) =>
        $"{e.PartitionKey}/{e.RowKey}: " + string.Join(", ", e.Where(p => p.Key is not ("odata.etag" or "Timestamp" or "PartitionKey" or "RowKey")).OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}:{p.Value?.GetType().Name}"));
}
