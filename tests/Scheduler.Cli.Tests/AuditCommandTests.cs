using System.Text.Json;
using Scheduler.Azure.Storage;
using Scheduler.Azure.Tests.Fixtures;
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
        await cli.StateTable.DeleteEntityAsync(new ScheduleKey("default", "tick").Value, lost.RowKey); // one occurrence's ledger row disappears
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
}
