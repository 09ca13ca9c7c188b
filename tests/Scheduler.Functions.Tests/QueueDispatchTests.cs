using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Functions.Functions;
using Scheduler.Functions.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Functions.Tests;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class QueueDispatchTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Key = new("default", "queued");

    private static async Task<(AppHarness App, string Message)> ClaimOneAsync(AzuriteFixture azurite)
    {
        var app = await AppHarness.StartAsync(azurite, ("Scheduler:Dispatch", "Queue"));
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec { Job = "heartbeat", RunAt = DateTimeOffset.UtcNow, Args = new { table = "beats" + app.Prefix } });
        var report = await app.Get<Dispatcher>().TickAsync();
        Assert.Equal((1, 0), (report.Claimed, report.Ran));
        var message = (await app.Get<OccurrenceQueue>().Client.ReceiveMessageAsync()).Value;
        return (app, message.MessageText);
    }

    [Fact]
    public async Task Tick_EnqueuesClaims_AndRunOccurrenceRunsThem_OnceEvenWhenDeliveredTwice()
    {
        // Arrange
        var (app, message) = await ClaimOneAsync(azurite);
        await using var _ = app;
        var function = app.Get<RunOccurrence>();

        // Act
        await function.RunAsync(message, default);
        await function.RunAsync(message, default); // a duplicate delivery

        // Assert
        var run = Assert.Single(await app.States.ReadRunsAsync(Key));
        Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempt));
        Assert.Empty((await app.States.GetAsync(Key))!.State.InFlight);
    }

    [Fact]
    public async Task PoisonMessage_EndsInTheLedgerAsFailed_WithTheReason()
    {
        // Arrange
        var (app, message) = await ClaimOneAsync(azurite);
        await using var _ = app;

        // Act
        await app.Get<RecordPoisonOccurrence>().RunAsync(message);

        // Assert
        var run = Assert.Single(await app.States.ReadRunsAsync(Key));
        Assert.Equal((RunStatus.Failed, "PoisonMessage"), (run.Status, run.ErrorType));
        Assert.Contains("failed 5 deliveries and was moved to the poison queue", run.ErrorMessage);
        Assert.Empty((await app.States.GetAsync(Key))!.State.InFlight);
    }

    [Fact]
    public async Task SameMessage_DeliveredTwiceAtOnce_RunsTheJobOnce()
    {
        // Arrange
        var (app, message) = await ClaimOneAsync(azurite);
        await using var _ = app;
        var function = app.Get<RunOccurrence>();

        // Act: two deliveries racing each other
        await Task.WhenAll(function.RunAsync(message, default), function.RunAsync(message, default));

        // Assert: one heartbeat row (the job ran once) and one ledger row
        var beats = app.Get<Azure.Data.Tables.TableServiceClient>().GetTableClient("beats" + app.Prefix);
        Assert.Single(await beats.QueryAsync<Azure.Data.Tables.TableEntity>().ToListAsync());
        var run = Assert.Single(await app.States.ReadRunsAsync(Key));
        Assert.Equal(RunStatus.Succeeded, run.Status);
    }

    [Fact]
    public async Task Tick_QueuesAShardsClaimsInOneMessage_AndRunOccurrenceRunsEachOnce_EvenWhenTheMessagesAreDeliveredTwice()
    {
        // Arrange: 40 one-offs due now, claimed by one tick
        await using var app = await AppHarness.StartAsync(azurite, ("Scheduler:Dispatch", "Queue"));
        var keys = Enumerable.Range(0, 40).Select(i => new ScheduleKey("default", $"batched-{i:D2}")).ToList();
        foreach (var key in keys)
        {
            await app.Get<ScheduleAdmin>().AddOrUpdateAsync(key, new ScheduleSpec { Job = "heartbeat", RunAt = DateTimeOffset.UtcNow, Args = new { table = "beats" + app.Prefix } });
        }

        var report = await app.Get<Dispatcher>().TickAsync();
        var queue = app.Get<OccurrenceQueue>().Client;
        var messages = new List<string>();
        while ((await queue.ReceiveMessagesAsync(32)).Value is { Length: > 0 } received)
        {
            messages.AddRange(received.Select(m => m.MessageText));
        }

        // Act: every message delivered, then every message again (duplicates), the second time two at once
        var function = app.Get<RunOccurrence>();
        foreach (var message in messages)
        {
            await function.RunAsync(message, default);
        }

        await Task.WhenAll(messages.Select(m => function.RunAsync(m, default)));

        // Assert: a message per shard with claims, not per occurrence; each occurrence in exactly one; each job ran once
        // (one heartbeat row each) and each schedule has one succeeded run and nothing in flight
        Assert.Equal(40, report.Claimed);
        var occurrences = messages.SelectMany(OccurrenceMessage.ParseAll).ToList();
        Assert.True(messages.Count <= Scheduler.Sharding.ShardMap.DefaultCount, $"{messages.Count} messages for 40 occurrences");
        Assert.Equal(keys.Select(k => k.Value).Order(), occurrences.Select(o => o.Schedule).Order());
        var beats = app.Get<Azure.Data.Tables.TableServiceClient>().GetTableClient("beats" + app.Prefix);
        Assert.Equal(40, (await beats.QueryAsync<Azure.Data.Tables.TableEntity>().ToListAsync()).Count);
        foreach (var key in keys)
        {
            var run = Assert.Single(await app.States.ReadRunsAsync(key));
            Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempt));
            Assert.Empty((await app.States.GetAsync(key))!.State.InFlight);
        }
    }

    [Fact]
    public async Task PoisonMessageOfABatch_EndsEachOfItsClaimsInTheLedgerAsFailed()
    {
        // Arrange: two one-offs of one shard, claimed into one message
        await using var app = await AppHarness.StartAsync(azurite, ("Scheduler:Dispatch", "Queue"));
        var keys = Enumerable.Range(0, 100).Select(i => new ScheduleKey("default", $"poisoned-{i}"))
            .GroupBy(k => Scheduler.Sharding.ShardMap.ShardOf(k, Scheduler.Sharding.ShardMap.DefaultCount)).First(g => g.Count() >= 2).Take(2).ToList();
        foreach (var key in keys)
        {
            await app.Get<ScheduleAdmin>().AddOrUpdateAsync(key, new ScheduleSpec { Job = "heartbeat", RunAt = DateTimeOffset.UtcNow, Args = new { table = "beats" + app.Prefix } });
        }

        await app.Get<Dispatcher>().TickAsync();
        var message = Assert.Single((await app.Get<OccurrenceQueue>().Client.ReceiveMessagesAsync(32)).Value).MessageText;

        // Act
        await app.Get<RecordPoisonOccurrence>().RunAsync(message);

        // Assert
        Assert.Equal(2, OccurrenceMessage.ParseAll(message).Count);
        foreach (var key in keys)
        {
            var run = Assert.Single(await app.States.ReadRunsAsync(key));
            Assert.Equal((RunStatus.Failed, "PoisonMessage"), (run.Status, run.ErrorType));
            Assert.Empty((await app.States.GetAsync(key))!.State.InFlight);
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"Schedule\":\"nopipe\",\"Due\":\"2026-01-01T00:00:00Z\",\"Attempt\":1}")]
    [InlineData("not json at all")]
    [InlineData("{\"Occurrences\":[]}")]
    [InlineData("{\"Occurrences\":[{\"Schedule\":\"nopipe\",\"Due\":\"2026-01-01T00:00:00Z\",\"Attempt\":1}]}")]
    [InlineData("{\"Schedule\":\"default|queued\",\"Due\":\"2020-01-01T00:00:00Z\",\"Attempt\":1,\"Reason\":0,\"LeaseUntil\":\"2020-01-01T00:10:00Z\"}")]
    public async Task PoisonMessage_ThatNamesNoClaim_IsLoggedAndRecordsNothing(string text)
    {
        // Arrange: a real claim exists, but the message is malformed or forged (names an occurrence never claimed)
        var (app, _) = await ClaimOneAsync(azurite);
        await using var __ = app;

        // Act
        var error = await Record.ExceptionAsync(() => app.Get<RecordPoisonOccurrence>().RunAsync(text));

        // Assert: nothing thrown, no ledger row beyond the real claim's, the claim still in flight
        Assert.Null(error);
        var run = Assert.Single(await app.States.ReadRunsAsync(Key));
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Single((await app.States.GetAsync(Key))!.State.InFlight);
    }

    [Fact]
    public void PoisonMessage_ShownInALog_IsShortened()
    {
        // Act
        var shown = OccurrenceMessage.Shown(new string('x', 48 * 1024));

        // Assert
        Assert.StartsWith(new string('x', OccurrenceMessage.ShownLength) + "…", shown);
        Assert.Contains("(49152 characters)", shown);
    }

    [Fact]
    public async Task LateOccurrencesAfterARestart_AllRunInOrder_NoneSkippedBehindTheQueuedOne()
    {
        // Arrange: six every-second occurrences missed while no host ran (Coalesce=All, Overlap=Skip)
        await using var app = await AppHarness.StartAsync(azurite, ("Scheduler:Dispatch", "Queue"));
        var key = new ScheduleKey("default", "catch-up");
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(key, new ScheduleSpec
        {
            Job = "heartbeat", Cron = "* * * * * *", Coalesce = CoalescePolicy.All, MisfireGraceSeconds = 600, Args = new { table = "beats" + app.Prefix },
        });
        await app.Get<Scheduler.Dispatch.Reconciler>().ReconcileAsync(default);
        await Task.Delay(6200);

        // Act: the tick claims the first and queues it; RunOccurrence runs each message (and claims the next due)
        await app.Get<Dispatcher>().TickAsync();
        var function = app.Get<RunOccurrence>();
        for (var i = 0; i < 20; i++)
        {
            var received = (await app.Get<OccurrenceQueue>().Client.ReceiveMessagesAsync(16)).Value;
            if (received.Length == 0)
            {
                break;
            }

            foreach (var message in received)
            {
                await function.RunAsync(message.MessageText, default);
                await app.Get<OccurrenceQueue>().Client.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }

        // Assert: the late ones ran, in order; none was recorded Skipped
        var runs = await app.States.ReadRunsAsync(key);
        Assert.DoesNotContain(runs, r => r.Status == RunStatus.Skipped);
        Assert.True(runs.Count(r => r.Status == RunStatus.Succeeded) >= 6, $"{runs.Count(r => r.Status == RunStatus.Succeeded)} ran");
    }
}
