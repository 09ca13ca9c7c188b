using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Sharding;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Dispatch;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class StorageCostTests(AzuriteFixture azurite)
{
    /// <summary>On the fake clock, ahead of the real one (Azurite stamps rows with real time), so each tick sees exactly what the test arranged.</summary>
    private static FakeTimeProvider NewClock() => new(new DateTimeOffset(2031, 3, 3, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task IdleTick_CostsOneQueryPerShard_PlusOneLeaseRenewalAFifthOfTheLeaseApart_HoweverManySchedulesExist()
    {
        // Arrange: 500 schedules, none due; edits are re-read on their own cadence; one instance holds every shard
        var recorder = new RunRecorder();
        var clock = NewClock();
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromSeconds(10); }, services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock));
        foreach (var chunk in Enumerable.Range(0, 500).Chunk(100))
        {
            await harness.SchedulesTable.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity("default", $"yearly-{i:D4}") { ["Job"] = "record", ["Cron"] = "0 0 1 1 *" })));
        }

        var reconcile = await harness.Dispatcher.TickAsync();

        // Act: a tick right after; one after a fifth of the 10 s lease; one a minute later, the leases long lapsed
        var idle = await harness.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromSeconds(3));
        var refresh = await harness.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        var lapsed = await harness.Dispatcher.TickAsync();

        // Assert: S range reads, + one transaction renewing every lease (conditional on their ETags: no read, as this
        // instance holds every shard and nobody else has written them)
        Assert.Equal(500, reconcile.Edits);
        Assert.Equal(0, idle.DueEntries + refresh.DueEntries + lapsed.DueEntries);
        Assert.Equal(ShardMap.DefaultCount, idle.StorageRequests);
        Assert.Equal(ShardMap.DefaultCount + 1, refresh.StorageRequests);
        Assert.Equal(ShardMap.DefaultCount + 1, lapsed.StorageRequests);
    }

    [Fact]
    public async Task AnInstanceHoldingEveryShard_LearnsOfANewcomerWhenItsRenewalFails_AndGivesUpItsShare()
    {
        // Arrange: a holds every shard; b starts and takes half (a's ETags no longer match those rows)
        var clock = NewClock();
        var prefix = SchedulerHarness.NewPrefix();
        void Configure(Scheduler.Hosting.SchedulerOptions o) { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromSeconds(10); }
        await using var a = await SchedulerHarness.StartAsync(azurite, prefix, configure: Configure, services: s => s.AddSingleton<TimeProvider>(clock), instanceId: "a");
        await using var b = await SchedulerHarness.StartAsync(azurite, prefix, configure: Configure, services: s => s.AddSingleton<TimeProvider>(clock), instanceId: "b");
        var leases = a.Services.GetRequiredService<Scheduler.Dispatch.ShardLeases>();
        Assert.Equal(ShardMap.DefaultCount, (await leases.CurrentAsync(default)).Shards.Count);
        var taken = await b.Services.GetRequiredService<Scheduler.Dispatch.ShardLeases>().CurrentAsync(default);

        // Act: a's next refresh renews blind, fails, reads
        clock.Advance(TimeSpan.FromSeconds(3));
        var before = a.Requests.Total;
        var after = await leases.CurrentAsync(default);

        // Assert: the failed renewal, the read (a's own leases renewed in the read's transaction is not due yet)
        Assert.Equal(ShardMap.DefaultCount / 2, taken.Shards.Count);
        Assert.Equal(Enumerable.Range(0, ShardMap.DefaultCount).Except(taken.Shards).Order(), after.Shards);
        Assert.Equal(2, a.Requests.Total - before);
    }

    [Fact]
    public async Task DueOccurrence_CostsAtMostFourRequestsBesideTheIndexQueries()
    {
        // Arrange
        var recorder = new RunRecorder();
        var clock = NewClock();
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromSeconds(10); }, services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock));
        for (var i = 0; i < 10; i++)
        {
            await harness.SchedulesTable.PutRawAsync($"every-second-{i}", ("Job", "record"), ("Cron", "* * * * * *"));
        }

        await harness.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        await harness.Dispatcher.TickAsync(); // the first occurrences, to settle index entries

        // Act: one second later, one occurrence of each schedule is due
        clock.Advance(TimeSpan.FromSeconds(1));
        var tick = await harness.Dispatcher.TickAsync();

        // Assert: beside the shards' reads and the lease read this tick makes (2 s since the last: a fifth of the 10 s
        // lease), at most what one schedule alone costs: its state read, claim (state + ledger row), entry moved, end
        // recorded (state + ledger row). A shard's schedules share the read and the transactions (BatchDispatchTests
        // measures a due minute of 300), so with one or two a shard, as here, that is about the cost.
        Assert.Equal(10, tick.Succeeded);
        Assert.InRange(tick.StorageRequests, ShardMap.DefaultCount + 1 + tick.Succeeded, ShardMap.DefaultCount + 1 + (4 * tick.Succeeded));
    }

    [Fact]
    public async Task OverlappingTick_ReadsNoStateOfSchedulesWhoseRunsAreUnderWay()
    {
        // Arrange: ten one-offs due now, one lane of storage work, every run held at a gate
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<GatedJob>("gated"),
            configure: o => { o.ReconcileInterval = TimeSpan.FromHours(1); o.EditPollMaxSchedules = 0; o.Parallelism = 1; }, services: s => s.AddSingleton<TimeProvider>(NewClock()));
        for (var i = 0; i < 10; i++)
        {
            await harness.SchedulesTable.PutRawAsync($"gated-{i}", ("Job", "gated"), ("RunAt", new DateTime(2031, 3, 3, 9, 59, 59, DateTimeKind.Utc)));
        }

        await harness.Reconciler.ReconcileAsync(default);
        GatedJob.Reset();

        // Act: the first tick claims all ten one lane at a time (the lane is free while a job runs); then another tick
        var first = harness.Dispatcher.TickAsync(reconcile: false);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(await GatedJob.Started.WaitAsync(TimeSpan.FromSeconds(30)), $"only {i} gated runs started");
        }

        var overlapping = await harness.Dispatcher.TickAsync(reconcile: false);
        GatedJob.Open();
        var firstReport = await first;
        var after = await harness.Dispatcher.TickAsync(reconcile: false);

        // Assert: every entry was moved before its run started, so the overlapping tick found none due: its shards' reads only
        Assert.Equal(0, overlapping.DueEntries);
        Assert.Equal(ShardMap.DefaultCount, overlapping.StorageRequests);
        Assert.Equal(10, firstReport.Succeeded);
        Assert.Equal(0, after.DueEntries);
    }

    /// <summary>Blocks every run until the test opens the gate.</summary>
    private sealed class GatedJob : Scheduler.Jobs.IJob
    {
        private static TaskCompletionSource s_gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private static SemaphoreSlim s_started = new(0);

        public static SemaphoreSlim Started => s_started;

        public static void Reset()
        {
            s_gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
            s_started = new(0);
        }

        public static void Open() => s_gate.TrySetResult();

        public async Task RunAsync(Scheduler.Jobs.JobContext context, CancellationToken cancellationToken)
        {
            s_started.Release();
            await s_gate.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false); // bounded: a regression fails, not hangs
        }
    }
}
