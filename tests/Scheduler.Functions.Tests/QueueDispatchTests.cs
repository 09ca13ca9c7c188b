using Scheduler.Azure.Admin;
using Scheduler.Azure.Dispatch;
using Scheduler.Azure.Tests.Fixtures;
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
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec { Job = "heartbeat", RunAt = DateTimeOffset.UtcNow, Args = new { table = app.Prefix + "beats" } });
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
}
