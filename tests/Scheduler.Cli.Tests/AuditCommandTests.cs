using System.Text.Json;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Schedules;

namespace Scheduler.Cli.Tests;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class AuditCommandTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Audit_PassesAfterCleanRuns_AndFailsOnALostOccurrence()
    {
        // Arrange: a schedule every second, dispatched for a few seconds
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "tick", "--job", "heartbeat", "--every", "1s");
        await cli.Dispatcher.TickAsync();
        var from = DateTimeOffset.UtcNow;
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(1000);
            await cli.Dispatcher.TickAsync();
        }

        var to = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O");
        string[] window = ["audit", "--from", from.ToString("O"), "--to", to, "--settle", "0", "--json"];

        // Act
        var clean = await cli.RunAsync(window);
        var runs = await cli.States.ReadRunsAsync(new ScheduleKey("default", "tick"));
        var lost = runs.First(r => r.Due > from && r.Due < DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture));
        await cli.StateTable.DeleteEntityAsync((await cli.States.LayoutAsync()).Partition(new ScheduleKey("default", "tick")), lost.RowKey); // one occurrence's ledger row disappears
        var broken = await cli.RunAsync(window);

        // Assert
        Assert.Equal(0, clean.Code);
        var audit = Assert.Single(JsonDocument.Parse(clean.Out).RootElement.EnumerateArray());
        Assert.True(audit.GetProperty("fates").GetProperty("RanOnce").GetInt32() >= 3, clean.Out);
        Assert.Equal(0, audit.GetProperty("fates").GetProperty("Unaccounted").GetInt32());
        Assert.Equal(1, broken.Code);
        var defect = Assert.Single(Assert.Single(JsonDocument.Parse(broken.Out).RootElement.EnumerateArray()).GetProperty("defects").EnumerateArray());
        Assert.Equal(("Unaccounted", StateKeys.Run(lost.Due, 1)), (defect.GetProperty("fate").GetString(), StateKeys.Run(DateTimeOffset.Parse(defect.GetProperty("due").GetString()!, System.Globalization.CultureInfo.InvariantCulture), 1)));
    }

    [Fact]
    public async Task Audit_SaysWhenTheSettleTimeCutsOrEmptiesTheWindow_AndTakesRelativeTimes()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);
        await cli.RunAsync("schedules", "add", "yearly", "--job", "heartbeat", "--cron", "0 0 1 1 *");

        // Act
        var recent = await cli.RunAsync("audit", "--from", "-1m");
        var cut = await cli.RunAsync("audit", "--from", "-10m");
        var settled = await cli.RunAsync("audit", "--from", "now-10m", "--settle", "0");
        var backwards = await cli.RunAsync("audit", "--from", "-1m", "--to", "-2m");
        var nonsense = await cli.RunAsync("audit", "--from", "yesterday-ish");

        // Assert
        Assert.Equal(0, recent.Code);
        Assert.Contains("warning: nothing to judge yet: the window ", recent.Err);
        Assert.Contains("pass a smaller --settle, such as --settle 0", recent.Err);
        Assert.Equal(0, cut.Code);
        Assert.Contains("warning: the window is cut at ", cut.Err);
        Assert.Contains("by --settle 120", cut.Err);
        Assert.DoesNotContain("cut at", settled.Err);
        Assert.Contains("warning: no occurrence of any schedule was due between ", settled.Err); // a yearly schedule added a moment ago
        Assert.Equal(2, backwards.Code);
        Assert.Contains("is before --from", backwards.Err);
        Assert.Equal(2, nonsense.Code);
        Assert.Contains("--from: \"yesterday-ish\" is not a moment; use ISO 8601 (2026-12-01T09:00:00Z), or relative to now: -10m", nonsense.Err);
    }

    [Fact]
    public async Task Audit_SpansEditsPausesAndRemoval_JudgingEachVersionWhileItWasInForce()
    {
        // Arrange: a schedule every second, then every 2 s, paused, resumed, and removed, dispatched all along
        await using var cli = await CliHarness.StartAsync(azurite);
        var key = new ScheduleKey("default", "tick");
        var from = DateTimeOffset.UtcNow;
        await cli.RunAsync("schedules", "add", "tick", "--job", "heartbeat", "--every", "1s");
        async Task TickForAsync(int seconds)
        {
            for (var i = 0; i < seconds * 4; i++)
            {
                await cli.Dispatcher.TickAsync();
                await Task.Delay(250);
            }
        }

        await TickForAsync(3);
        await cli.RunAsync("schedules", "set", "tick", "--every", "2s");
        await TickForAsync(4);
        await cli.RunAsync("schedules", "pause", "tick", "--note", "audit test");
        await TickForAsync(3);
        var pausedFrom = (await cli.States.ReadEditsAsync(key, 1))[0].DetectedAt;
        await cli.RunAsync("schedules", "resume", "tick");
        await TickForAsync(3);
        await cli.RunAsync("schedules", "remove", "tick");
        await TickForAsync(1);
        var to = DateTimeOffset.UtcNow;

        // Act
        var result = await cli.RunAsync("audit", "--from", from.AddSeconds(-1).ToString("O"), "--to", to.ToString("O"), "--settle", "0", "--json");

        // Assert: the removed schedule is audited over the whole window, across its five versions, with nothing lost or doubled
        Assert.Equal(0, result.Code);
        var audit = Assert.Single(JsonDocument.Parse(result.Out).RootElement.EnumerateArray());
        var fates = audit.GetProperty("fates");
        Assert.Equal((0, 0), (fates.GetProperty("Unaccounted").GetInt32(), fates.GetProperty("RanMoreThanOnce").GetInt32()));
        // How many run depends on this machine's pace (a late tick misses by policy); what must hold is that every
        // occurrence judged has a fate, and that the ledger's runs are exactly the ones judged RanOnce.
        var judged = fates.EnumerateObject().Sum(f => f.Value.GetInt32());
        Assert.True(judged >= 6 && fates.GetProperty("RanOnce").GetInt32() >= 4, result.Out);
        Assert.True(DateTimeOffset.Parse(audit.GetProperty("from").GetString()!, System.Globalization.CultureInfo.InvariantCulture) < from.AddSeconds(2), result.Out);
        var note = audit.GetProperty("note").GetString()!;
        Assert.Contains("edited ", note);
        Assert.Contains("paused ", note);
        Assert.Contains("removed ", note);
        var runs = await cli.States.ReadRunsAsync(key);
        Assert.Equal(fates.GetProperty("RanOnce").GetInt32(), runs.Where(r => r.Attempt > 0).Select(r => r.Due).Distinct().Count());
        Assert.DoesNotContain(runs, r => r.Attempt > 0 && r.Due > pausedFrom.AddSeconds(1) && r.Due < pausedFrom.AddSeconds(2.5)); // nothing ran while paused
    }
}
