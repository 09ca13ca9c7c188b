using Azure.Data.Tables;
using Scheduler.FunctionsHost.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.FunctionsHost.Tests;

[Collection(HostTierCollection.Name)]
[Trait("Category", "FunctionsHost")]
public sealed class QueueModeTests(HostTierFixture tier)
{
    [SkippableFact]
    public async Task TwoHosts_RunOccurrenceTakesTheQueuedOccurrences_BothRunSome_NoneTwice()
    {
        Skip.If(tier.SkipReason is not null, tier.SkipReason);

        // Arrange
        await using var app = await Deployment.CreateAsync(tier, dispatch: "Queue");
        // One message at a time a host, so neither can drain the queue alone: with the defaults (16 at once) a host
        // with capacity to spare takes every message, as it should, and the other may run none in a minute.
        var oneAtATime = new Dictionary<string, string>
        {
            ["AzureFunctionsJobHost__extensions__queues__batchSize"] = "1",
            ["AzureFunctionsJobHost__extensions__queues__newBatchThreshold"] = "0",
        };
        var hosts = new[] { await app.StartHostAsync("qa", oneAtATime), await app.StartHostAsync("qb", oneAtATime) };
        var from = DateTimeOffset.UtcNow;
        var keys = Enumerable.Range(0, 12).Select(i => new ScheduleKey("default", $"queued-{i:D2}")).ToList();
        foreach (var key in keys)
        {
            await app.Tables.Schedules.UpsertEntityAsync(new TableEntity(key.Group, key.Id)
            {
                ["Job"] = "heartbeat", ["Interval"] = "1s", ["Args"] = $"{{\"table\":\"beats{app.Prefix}\"}}",
            });
        }

        // Act
        var byInstance = new Dictionary<string, int>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && (byInstance.Count < 2 || byInstance.Values.Sum() < 60))
        {
            await Task.Delay(1000);
            byInstance = await SucceededByInstanceAsync(app, keys);
        }

        var settled = DateTimeOffset.UtcNow.AddSeconds(-4);

        // Assert
        // (a RunOccurrence invocation runs a message's occurrences, several of a shard when a tick claimed them together)
        Assert.True(byInstance.Count == 2, $"runs by instance: {string.Join(", ", byInstance)}\n{hosts[0].Tail()}\n{hosts[1].Tail()}");
        Assert.True(byInstance.Values.Sum() >= 60, $"runs by instance: {string.Join(", ", byInstance)}");
        foreach (var host in hosts)
        {
            // A run's end is in the ledger before the host logs the invocation's end: wait for the line, not race it.
            Assert.True(await host.WaitForLineAsync(l => l.Contains("Executed 'Functions.RunOccurrence' (Succeeded", StringComparison.Ordinal), TimeSpan.FromSeconds(15)), host.Tail());
        }

        var audits = await app.Audit.AuditAsync(from, settled, settled);
        Assert.All(audits, a => Assert.Empty(a.Result.Defects));
    }

    [SkippableFact]
    public async Task MalformedAndNotBase64Messages_EndInThePoisonQueue_AndAreLogged()
    {
        Skip.If(tier.SkipReason is not null, tier.SkipReason);

        // Arrange
        await using var app = await Deployment.CreateAsync(tier, dispatch: "Queue");
        var host = await app.StartHostAsync("poison");
        var messages = new[] { "{\"Schedule\": \"no-pipe\", \"Due\": 3", "this is not base64 !!@@##" };

        // Act
        foreach (var text in messages)
        {
            await app.Queue.Client.SendMessageAsync(text);
        }

        var logged = await host.WaitForLineAsync(l => l.Contains("this is not base64", StringComparison.Ordinal) && l.Contains("poison", StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(60))
            && await host.WaitForLineAsync(l => l.Contains("no-pipe", StringComparison.Ordinal) && l.Contains("poison", StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(30));

        // Assert: each was tried 5 times, moved to the poison queue, and RecordPoisonOccurrence said what it was
        Assert.True(logged, host.Tail(80));
        Assert.Equal(2, HostLog.Count(host.Lines, "A poison message is not an occurrence"));
        Assert.True(await host.WaitForLineAsync(_ => HostLog.Count(host.Lines, "Executed 'Functions.RecordPoisonOccurrence' (Succeeded") >= 2, TimeSpan.FromSeconds(15)), host.Tail(80));
        Assert.Empty((await app.Queue.Client.PeekMessagesAsync(32)).Value);
        Assert.Empty((await app.Queue.Poison.PeekMessagesAsync(32)).Value);
    }

    private static async Task<Dictionary<string, int>> SucceededByInstanceAsync(Deployment app, IEnumerable<ScheduleKey> keys)
    {
        var byInstance = new Dictionary<string, int>();
        foreach (var key in keys)
        {
            foreach (var run in (await app.States.ReadRunsAsync(key)).Where(r => r.Status == RunStatus.Succeeded))
            {
                byInstance[run.Instance ?? "?"] = byInstance.GetValueOrDefault(run.Instance ?? "?") + 1;
            }
        }

        return byInstance;
    }
}
