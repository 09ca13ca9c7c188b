using Microsoft.Azure.Functions.Worker;
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
public sealed class SchedulerTickTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Key = new("default", "beat");

    [Fact]
    public async Task TimerFunction_InvokedDirectly_DrivesRealRuns()
    {
        // Arrange
        await using var app = await AppHarness.StartAsync(azurite);
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec { Job = "heartbeat", Interval = TimeSpan.FromSeconds(1), Args = new { table = "beats" + app.Prefix } });
        var tick = app.Get<SchedulerTick>();

        // Act
        await tick.RunAsync(new TimerInfo(), default);
        await Task.Delay(1100);
        await tick.RunAsync(new TimerInfo(), default);

        // Assert
        var runs = await app.States.ReadRunsAsync(Key);
        Assert.Contains(runs, r => r.Status == RunStatus.Succeeded);
        var beats = app.Tables.Service.GetTableClient("beats" + app.Prefix).QueryAsync<Azure.Data.Tables.TableEntity>();
        Assert.NotEmpty(await beats.ToListAsync());
    }

    [Fact]
    public async Task PreciseFiring_StartsOccurrencesWithinTheInvocation()
    {
        // Arrange: a tick every minute would start these up to a minute late; the invocation waits for them instead
        await using var app = await AppHarness.StartAsync(azurite, ("Scheduler:PreciseFiring", "true"));
        var due = DateTimeOffset.UtcNow.AddSeconds(3);
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(Key, new ScheduleSpec { Job = "heartbeat", RunAt = due, Args = new { table = "beats" + app.Prefix } });

        // Act
        var reports = await app.Get<TickDriver>().RunInvocationAsync(DateTimeOffset.UtcNow.AddSeconds(6), default);

        // Assert
        var run = Assert.Single(await app.States.ReadRunsAsync(Key));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.InRange(run.StartedAt!.Value - due, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.True(reports.Count >= 2);
    }

    [Fact]
    public async Task TickOnly_FullTick_TicksAgainUntilTheBacklogIsDrained()
    {
        // Arrange: five occurrences due, a tick takes two
        await using var app = await AppHarness.StartAsync(azurite, ("Scheduler:MaxDuePerTick", "2"));
        var admin = app.Get<ScheduleAdmin>();
        var keys = Enumerable.Range(0, 5).Select(i => new ScheduleKey("default", $"backlog{i}")).ToList();
        foreach (var key in keys)
        {
            await admin.AddOrUpdateAsync(key, new ScheduleSpec { Job = "heartbeat", RunAt = DateTimeOffset.UtcNow.AddSeconds(-1), Args = new { table = "beats" + app.Prefix } });
        }

        // Act
        var reports = await app.Get<TickDriver>().RunInvocationAsync(DateTimeOffset.UtcNow.AddSeconds(30), default);

        // Assert
        Assert.Equal(5, reports.Sum(r => r.Ran));
        Assert.Equal(3, reports.Count);
        foreach (var key in keys)
        {
            Assert.Equal(RunStatus.Succeeded, Assert.Single(await app.States.ReadRunsAsync(key)).Status);
        }
    }
}
