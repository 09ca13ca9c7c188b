using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Dispatch;
using Scheduler.Schedules;
using Scheduler.Sharding;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>Instances share the due index by shard leases, on Azurite: disjoint reads, takeover after a crash or a clean stop.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class ShardedDispatchTests(AzuriteFixture azurite)
{
    private const int Shards = ShardMap.DefaultCount;

    private static FakeTimeProvider NewClock() => new(new DateTimeOffset(2031, 5, 5, 8, 0, 0, TimeSpan.Zero)); // ahead of Azurite's real-time stamps

    private Task<SchedulerHarness> StartAsync(string prefix, string instance, FakeTimeProvider clock, RunRecorder recorder, int parallelism = 16, int maxRuns = 128) =>
        SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => { o.PreciseFiring = true; o.ReconcileInterval = TimeSpan.Zero; o.ShardLeaseDuration = TimeSpan.FromSeconds(10); o.Parallelism = parallelism; o.MaxConcurrentRuns = maxRuns; },
            services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock), instanceId: instance);

    private static Task<HeldShards> HeldAsync(SchedulerHarness harness) => harness.Services.GetRequiredService<ShardLeases>().CurrentAsync(default);

    [Fact]
    public async Task TwoInstances_SplitTheShards_AndEachRunsOnlyTheSchedulesOfItsOwn_EveryOccurrenceOnce()
    {
        // Arrange: forty schedules every second; "a" starts alone and takes every shard, then "b" comes
        var prefix = SchedulerHarness.NewPrefix();
        var clock = NewClock();
        var recorder = new RunRecorder();
        await using var a = await StartAsync(prefix, "a", clock, recorder);
        await using var b = await StartAsync(prefix, "b", clock, recorder);
        var keys = Enumerable.Range(0, 40).Select(i => new ScheduleKey(ScheduleKey.DefaultGroup, $"s{i:D2}")).ToList();
        foreach (var key in keys)
        {
            await a.SchedulesTable.PutRawAsync(key.Id, ("Job", "record"), ("Cron", "* * * * * *"), ("StartAt", clock.GetUtcNow()));
        }

        await a.Dispatcher.TickAsync();
        Assert.Equal(Shards, (await HeldAsync(a)).Shards.Count);
        await b.Dispatcher.TickAsync(); // takes half from "a"
        clock.Advance(TimeSpan.FromSeconds(4)); // "a" reads the leases again: it lost those

        // Act: ten seconds of ticks, both instances every second
        var ticks = new List<TickReport>();
        for (var second = 0; second < 10; second++)
        {
            ticks.AddRange(await Task.WhenAll(a.Dispatcher.TickAsync(), b.Dispatcher.TickAsync()));
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        // Assert: disjoint halves; each instance claimed only schedules of its shards; no occurrence ran twice; no conflict
        var heldByA = (await HeldAsync(a)).Shards;
        var heldByB = (await HeldAsync(b)).Shards;
        Assert.Equal((Shards / 2, Shards / 2), (heldByA.Count, heldByB.Count));
        Assert.Empty(heldByA.Intersect(heldByB));
        Assert.Equal(0, ticks.Sum(t => t.Conflicts));
        foreach (var key in keys)
        {
            var shard = ShardMap.ShardOf(key, Shards);
            var ledger = await a.States.ReadRunsAsync(key);
            Assert.All(ledger.Where(r => r.Due >= clock.GetUtcNow().AddSeconds(-9)), r => Assert.Equal(heldByA.Contains(shard) ? "a" : "b", r.Instance));
            Assert.Equal(ledger.Count, ledger.Select(r => (r.Due, r.Attempt)).Distinct().Count());
        }

        Assert.Equal(recorder.Runs.Count, recorder.Runs.Distinct().Count());
        Assert.Equal(40 * 14, recorder.Runs.Count); // every second from the start to the last tick, 14 s later: none lost
        Assert.All(recorder.Runs, r => Assert.Equal(1, r.Attempt));
    }

    [Fact]
    public async Task ACrashedInstancesShards_AreTakenOverWhenItsLeasesEnd_AndACleanStopHandsThemOverAtOnce()
    {
        // Arrange: two instances share the shards
        var prefix = SchedulerHarness.NewPrefix();
        var clock = NewClock();
        var recorder = new RunRecorder();
        await using var a = await StartAsync(prefix, "a", clock, recorder);
        await using var b = await StartAsync(prefix, "b", clock, recorder);
        await a.Dispatcher.TickAsync();
        await b.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromSeconds(4));
        await a.Dispatcher.TickAsync();
        Assert.Equal(Shards / 2, (await HeldAsync(a)).Shards.Count);

        // Act 1: "b" stops ticking without a word (a crash); "a" goes on refreshing
        var heldWhileLive = new List<int>();
        for (var second = 0; second < 14; second += 4)
        {
            clock.Advance(TimeSpan.FromSeconds(4));
            await a.Dispatcher.TickAsync();
            heldWhileLive.Add((await HeldAsync(a)).Shards.Count);
        }

        // Assert 1: half while b's leases last (10 s), all once they ended
        Assert.Equal(Shards / 2, heldWhileLive[0]);
        Assert.Equal(Shards, heldWhileLive[^1]);

        // Act 2: "a" stops cleanly; "b" comes back at once
        await a.Services.GetRequiredService<ShardLeases>().ReleaseAsync(default);
        clock.Advance(TimeSpan.FromSeconds(4));
        await b.Dispatcher.TickAsync();

        // Assert 2: without waiting for any lease to end
        Assert.Equal(Shards, (await HeldAsync(b)).Shards.Count);
    }

    [Fact]
    public async Task AHolderThatStallsWhileItsLeasesLast_HasItsOverdueOccurrencesRunByAnother_Once()
    {
        // Arrange: two instances share the shards; one-offs due in every shard
        var prefix = SchedulerHarness.NewPrefix();
        var clock = NewClock();
        var recorder = new RunRecorder();
        await using var a = await StartAsync(prefix, "a", clock, recorder);
        await using var b = await StartAsync(prefix, "b", clock, recorder);
        var due = clock.GetUtcNow().AddSeconds(5);
        var keys = Enumerable.Range(0, 24).Select(i => new ScheduleKey(ScheduleKey.DefaultGroup, $"o{i:D2}")).ToList();
        foreach (var key in keys)
        {
            await a.SchedulesTable.PutRawAsync(key.Id, ("Job", "record"), ("RunAt", due));
        }

        await a.Dispatcher.TickAsync();
        await b.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromSeconds(4));
        await a.Dispatcher.TickAsync();
        var heldByB = (await HeldAsync(b)).Shards;
        var ofB = keys.Where(k => heldByB.Contains(ShardMap.ShardOf(k, Shards))).ToList();

        // Act: "b" keeps its leases (its refresh runs) but never ticks; "a" ticks every second for 66 s (it looks at
        // other shards every half lease, for entries overdue by a minute)
        var ticks = new List<TickReport>();
        for (var second = 0; second < 66; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await HeldAsync(b);
            ticks.Add(await a.Dispatcher.TickAsync());
        }

        // Assert: b still holds its half; a ran its own at once and b's once they were a minute overdue; each once
        Assert.Equal(Shards / 2, (await HeldAsync(b)).Shards.Count);
        Assert.NotEmpty(ofB);
        Assert.Equal(keys.Count - ofB.Count, ticks[0].Ran);
        Assert.Equal(ofB.Count, ticks.Skip(1).Sum(t => t.Ran));
        Assert.Equal(keys.Count, recorder.Runs.Count);
        Assert.Equal(keys.Count, recorder.Runs.Select(r => r.Key).Distinct().Count());
        foreach (var key in ofB)
        {
            var run = Assert.Single(await a.States.ReadRunsAsync(key), r => r.Status == Scheduler.Runs.RunStatus.Succeeded);
            Assert.Equal("a", run.Instance);
            Assert.InRange(run.StartedAt!.Value - due, Dispatcher.HelpAfter, Dispatcher.HelpAfter + TimeSpan.FromSeconds(6));
        }
    }

    [Fact]
    public async Task AShardTakenWhileATickWorksThroughABacklog_IsLeftToItsNewHolder_AndEveryOccurrenceRunsOnce()
    {
        // Arrange: "a" holds every shard and works one schedule at a time (one lane, one run at once: a shard's batch
        // claims what the run budget allows, then waits for a run to end); 80 one-offs are due; "b" has started
        var prefix = SchedulerHarness.NewPrefix();
        var clock = NewClock();
        var recorder = new RunRecorder();
        await using var a = await StartAsync(prefix, "a", clock, recorder, parallelism: 1, maxRuns: 1);
        await using var b = await StartAsync(prefix, "b", clock, recorder);
        var keys = Enumerable.Range(0, 80).Select(i => new ScheduleKey(ScheduleKey.DefaultGroup, $"h{i:D2}")).ToList();
        foreach (var key in keys)
        {
            await a.SchedulesTable.PutRawAsync(key.Id, ("Job", "record"), ("RunAt", clock.GetUtcNow()));
        }

        await a.Reconciler.ReconcileAsync(default);
        Assert.Equal(Shards, (await HeldAsync(a)).Shards.Count);

        // Act: a's tick reads all 80; once its first run is recorded, "b" takes half the shards (a scale-out) and a's
        // next lease refresh (in a host, its poll) sees that; then b ticks
        var tickOfA = a.Dispatcher.TickAsync();
        while (recorder.Runs.IsEmpty && !tickOfA.IsCompleted)
        {
            await Task.Delay(5);
        }

        await HeldAsync(b);
        clock.Advance(TimeSpan.FromSeconds(2)); // a fifth of the 10 s lease: a reads the leases again
        Assert.Equal(Shards / 2, (await HeldAsync(a)).Shards.Count);
        var byA = await tickOfA;
        var byB = await b.Dispatcher.TickAsync();

        // Assert: a left b's schedules it had not reached yet to b, untouched; b ran exactly those; each ran once
        Assert.Equal(keys.Count, byA.DueEntries);
        Assert.True(byA.HandedOver > 0, $"a ran {byA.Ran} of 80 and handed none over");
        Assert.Equal(keys.Count, byA.Ran + byA.HandedOver);
        Assert.Equal(byA.HandedOver, byB.Ran);
        Assert.Equal(0, byA.Conflicts + byB.Conflicts);
        Assert.Equal(keys.Count, recorder.Runs.Count);
        Assert.Equal(keys.Count, recorder.Runs.Select(r => r.Key).Distinct().Count());
        var heldByB = (await HeldAsync(b)).Shards;
        foreach (var key in keys.Where(k => !heldByB.Contains(ShardMap.ShardOf(k, Shards))))
        {
            Assert.Equal("a", Assert.Single(await a.States.ReadRunsAsync(key)).Instance);
        }
    }

    [Fact]
    public async Task TablesOfTheLayoutBeforeSharding_MoveToShardsAtStartUp_AndAnEntryAnOldInstanceWritesLaterIsMovedToo_EachOccurrenceRunsOnce()
    {
        // Arrange: schedules planned by this version, then the due index put back as the version before sharding left it
        var prefix = SchedulerHarness.NewPrefix();
        var clock = NewClock();
        var recorder = new RunRecorder();
        var keys = Enumerable.Range(0, 30).Select(i => new ScheduleKey(ScheduleKey.DefaultGroup, $"m{i:D2}")).ToList();
        await SchedulerHarness.SeedLayoutTwoAsync(azurite, prefix); // states as that version wrote them: a partition per schedule
        await using (var old = await StartAsync(prefix, "old", clock, recorder))
        {
            foreach (var key in keys)
            {
                await old.SchedulesTable.PutRawAsync(key.Id, ("Job", "record"), ("Interval", "1m"), ("StartAt", clock.GetUtcNow().AddSeconds(30)));
            }

            await old.Reconciler.ReconcileAsync(default);
            await RevertToUnshardedAsync(old.Tables.DueIndex);
        }

        // Act: this version starts on those tables, and ticks past the first due time; then an instance of the old
        // version (a rolling upgrade) writes an entry where it always did, and the next minute comes
        await using var upgraded = await StartAsync(prefix, "new", clock, recorder);
        var afterStartUp = await upgraded.Tables.DueIndex.QueryAsync<TableEntity>().ToListAsync();
        clock.Advance(TimeSpan.FromSeconds(31));
        var first = await upgraded.Dispatcher.TickAsync();
        var straggler = keys[7];
        var wake = clock.GetUtcNow().AddSeconds(59);
        await upgraded.Tables.DueIndex.DeleteEntityAsync(await upgraded.Services.GetRequiredService<Scheduler.Storage.DueIndex>().PartitionAsync(straggler, default), Scheduler.Storage.DueIndex.RowKey(wake, straggler));
        await upgraded.Tables.DueIndex.AddEntityAsync(new TableEntity(Scheduler.Storage.DueIndex.LegacyPartition, Scheduler.Storage.DueIndex.RowKey(wake, straggler)));
        clock.Advance(TimeSpan.FromSeconds(60));
        var second = await upgraded.Dispatcher.TickAsync();

        // Assert: nothing left in the old partition, every entry in its shard, a layout row; 30 + 30 runs, none twice
        Assert.DoesNotContain(afterStartUp, e => e.PartitionKey == Scheduler.Storage.DueIndex.LegacyPartition);
        Assert.Equal(30, afterStartUp.Count(e => e.PartitionKey.StartsWith("due-", StringComparison.Ordinal)));
        Assert.All(afterStartUp.Where(e => e.PartitionKey.StartsWith("due-", StringComparison.Ordinal)), e =>
        {
            Assert.True(Scheduler.Storage.DueIndex.TryParse(e.RowKey, out var entry, out _));
            Assert.Equal(Scheduler.Storage.DueIndex.ShardPartition(ShardMap.ShardOf(entry.Key, Shards)), e.PartitionKey);
        });
        Assert.Contains(afterStartUp, e => e.PartitionKey == ShardStore.Partition && e.RowKey == ShardStore.LayoutRow && e.GetInt32("Version") == 2);
        Assert.Equal((30, 30), (first.Ran, second.Ran));
        Assert.Equal(60, recorder.Runs.Distinct().Count());
        Assert.Equal(60, recorder.Runs.Count);
        Assert.Empty(await upgraded.Tables.DueIndex.QueryAsync<TableEntity>(e => e.PartitionKey == Scheduler.Storage.DueIndex.LegacyPartition).ToListAsync());
    }

    [Fact]
    public async Task AnEntryInAnotherShardsPartition_IsQuarantined_AndItsWakeUpMovesHome_SoTheScheduleStillRuns()
    {
        // Arrange: a schedule whose only entry someone copied into the wrong shard's partition
        var clock = NewClock();
        var recorder = new RunRecorder();
        await using var harness = await StartAsync(SchedulerHarness.NewPrefix(), "a", clock, recorder);
        var key = new ScheduleKey(ScheduleKey.DefaultGroup, "strayed");
        await harness.SchedulesTable.PutRawAsync(key.Id, ("Job", "record"), ("Interval", "1m"), ("StartAt", clock.GetUtcNow().AddSeconds(30)));
        await harness.Reconciler.ReconcileAsync(default);
        var home = ShardMap.ShardOf(key, Shards);
        var wake = clock.GetUtcNow().AddSeconds(30);
        await harness.Tables.DueIndex.DeleteEntityAsync(Scheduler.Storage.DueIndex.ShardPartition(home), Scheduler.Storage.DueIndex.RowKey(wake, key));
        await harness.Tables.DueIndex.AddEntityAsync(new TableEntity(Scheduler.Storage.DueIndex.ShardPartition((home + 1) % Shards), Scheduler.Storage.DueIndex.RowKey(wake, key)));
        clock.Advance(TimeSpan.FromSeconds(31));

        // Act
        var found = await harness.Dispatcher.TickAsync();
        var ran = await harness.Dispatcher.TickAsync();

        // Assert: reported with a reason that names the right partition, then run from its home
        Assert.Equal((1, 0), (found.Quarantined, found.Ran));
        Assert.Equal(1, ran.Ran);
        var quarantined = await harness.Services.GetRequiredService<Scheduler.Storage.RowQuarantine>().ListAsync();
        Assert.Contains(Scheduler.Storage.DueIndex.ShardPartition(home), Assert.Single(quarantined).Fault.Reason);
        Assert.Empty(await harness.Services.GetRequiredService<Scheduler.Storage.DueIndex>().FindBadRowsAsync(default));
    }

    /// <summary>What the version before sharding left: every entry in the one "due" partition, no layout or lease rows.</summary>
    private static async Task RevertToUnshardedAsync(TableClient due)
    {
        await foreach (var row in due.QueryAsync<TableEntity>())
        {
            await due.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All);
            if (row.PartitionKey.StartsWith("due-", StringComparison.Ordinal))
            {
                await due.AddEntityAsync(new TableEntity(Scheduler.Storage.DueIndex.LegacyPartition, row.RowKey));
            }
        }
    }
}
