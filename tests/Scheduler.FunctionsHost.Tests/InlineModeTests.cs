using Azure.Data.Tables;
using Scheduler.Auditing;
using Scheduler.FunctionsHost.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.FunctionsHost.Tests;

[Collection(HostTierCollection.Name)]
[Trait("Category", "FunctionsHost")]
public sealed class InlineModeTests(HostTierFixture tier)
{
    [SkippableFact]
    public async Task TimerFiresOnTheAppSetting_AndSchedulesAddedThroughTheTableRun()
    {
        Skip.If(tier.SkipReason is not null, tier.SkipReason);

        // Arrange
        await using var app = await Deployment.CreateAsync(tier);
        var host = await app.StartHostAsync("inline");
        var from = DateTimeOffset.UtcNow;
        var keys = new[] { new ScheduleKey("default", "every-second"), new ScheduleKey("default", "every-three") };
        await app.Tables.Schedules.UpsertEntityAsync(new TableEntity("default", keys[0].Id)
        {
            ["Job"] = "heartbeat", ["Interval"] = "1s", ["Args"] = $"{{\"table\":\"beats{app.Prefix}\"}}",
        });
        await app.Tables.Schedules.UpsertEntityAsync(new TableEntity("default", keys[1].Id)
        {
            ["Job"] = "heartbeat", ["Cron"] = "*/3 * * * * *", ["Args"] = $"{{\"table\":\"beats{app.Prefix}\"}}",
        });

        // Act
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !await EachRanAsync(app, keys, 4))
        {
            await Task.Delay(500);
        }

        var settled = DateTimeOffset.UtcNow.AddSeconds(-3);

        // Assert
        Assert.True(await EachRanAsync(app, keys, 4), "the schedules did not run 4 times each within 60 s:\n" + host.Tail());
        var fires = HostLog.TimerFires(host.Lines);
        Assert.NotEmpty(fires);
        Assert.All(fires, fire => Assert.Equal(0, fire.AddMilliseconds(500).Second % 2)); // */2 * * * * *, fired within a few ms of it
        Assert.True(HostLog.Count(host.Lines, "Executed 'Functions.SchedulerTick' (Succeeded") >= 1, host.Tail());
        var audits = await app.Audit.AuditAsync(from, settled, settled);
        Assert.Equal(2, audits.Count);
        Assert.All(audits, a => Assert.Empty(a.Result.Defects));
        Assert.All(audits, a => Assert.True(a.Result.Occurrences.Count > 0 && a.Result.Occurrences.All(o => o.Fate == OccurrenceFate.RanOnce),
            $"{a.Key}: {string.Join(", ", a.Result.Occurrences.Select(o => $"{o.Due:HH:mm:ss} {o.Fate}"))}"));

        // Inline mode polls no queue it did not create: no "queue does not exist" warnings.
        Assert.Equal(0, HostLog.Count(host.Lines, "The specified queue does not exist"));
    }

    private static async Task<bool> EachRanAsync(Deployment app, IEnumerable<ScheduleKey> keys, int times)
    {
        foreach (var key in keys)
        {
            if ((await app.States.ReadRunsAsync(key)).Count(r => r.Status == RunStatus.Succeeded) < times)
            {
                return false;
            }
        }

        return true;
    }
}
