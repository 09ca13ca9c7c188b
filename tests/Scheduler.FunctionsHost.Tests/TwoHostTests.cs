using Azure.Data.Tables;
using Scheduler.FunctionsHost.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.FunctionsHost.Tests;

[Collection(HostTierCollection.Name)]
[Trait("Category", "FunctionsHost")]
public sealed class TwoHostTests(HostTierFixture tier)
{
    [SkippableFact]
    public async Task TwoHosts_OneTickPerFire_FailOverWhenTheLockHolderStops_NoRunTwice()
    {
        Skip.If(tier.SkipReason is not null, tier.SkipReason);

        // Arrange: two instances of one app (same host id) on one storage account
        await using var app = await Deployment.CreateAsync(tier);
        var first = await app.StartHostAsync("a");
        var second = await app.StartHostAsync("b");
        var from = DateTimeOffset.UtcNow;
        var keys = Enumerable.Range(0, 6).Select(i => new ScheduleKey("default", $"beat-{i}")).ToList();
        foreach (var key in keys)
        {
            await app.Tables.Schedules.UpsertEntityAsync(new TableEntity(key.Group, key.Id)
            {
                ["Job"] = "heartbeat", ["Interval"] = "1s", ["Args"] = $"{{\"table\":\"beats{app.Prefix}\"}}",
            });
        }

        await Task.Delay(TimeSpan.FromSeconds(12));

        // Act: stop whichever host fired the timer last; the other must take over
        var holder = HostLog.TimerFires(first.Lines).DefaultIfEmpty().Max() > HostLog.TimerFires(second.Lines).DefaultIfEmpty().Max() ? first : second;
        var other = holder == first ? second : first;
        var stoppedAt = DateTimeOffset.UtcNow;
        Assert.True(await holder.StopAsync(TimeSpan.FromSeconds(30)), "the lock holder did not stop on SIGTERM:\n" + holder.Tail());
        var tookOver = await other.WaitForLineAsync(_ => HostLog.TimerFires(other.Lines).Any(f => f > stoppedAt), TimeSpan.FromSeconds(45));
        var resumed = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(6));
        var settled = DateTimeOffset.UtcNow.AddSeconds(-3);

        // Assert
        var fires = HostLog.TimerFires(first.Lines.Concat(second.Lines)).ToList();
        Assert.True(fires.Count >= 3, $"{fires.Count} timer fires");
        Assert.Equal(fires.Count, fires.Distinct().Count()); // each fire ran on one host only
        Assert.True(tookOver, $"{other.Name} did not take over the timer after {holder.Name} stopped:\n{other.Tail()}");
        var audits = await app.Audit.AuditAsync(from, settled, settled);
        Assert.Equal(keys.Count, audits.Count);
        Assert.All(audits, a => Assert.DoesNotContain(a.Result.Defects, d => d.Fate == Scheduler.Auditing.OccurrenceFate.RanMoreThanOnce));
        foreach (var key in keys)
        {
            var after = (await app.States.ReadRunsAsync(key)).Where(r => r.Status == RunStatus.Succeeded && r.StartedAt > resumed).ToList();
            Assert.NotEmpty(after);
            Assert.All(after, r => Assert.Equal(other.Name.Split('-')[^1], r.Instance));
        }
    }
}
