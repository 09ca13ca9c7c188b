using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Jobs;
using Scheduler.Schedules;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Storage;

/// <summary>
/// Tables of layout 2 move to layout 3 in place while instances dispatch: announced first, then every schedule's rows
/// moved, each occurrence run once, no state, ledger or edit row lost; a move waits for instances of a version that
/// cannot follow it, and one left half done is finished by whoever finds it.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class LayoutMigrationTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Start = new(2031, 3, 3, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task TablesOfLayoutTwo_MoveToLayoutThree_WhileThreeInstancesDispatch_EachOccurrenceOnce_AndNoRowLost()
    {
        // Arrange: layout-2 tables with 120 schedules due at :30 each minute, two minutes of runs, an edit, and a
        // state row someone wrote that names no schedule
        var prefix = SchedulerHarness.NewPrefix();
        await SchedulerHarness.SeedLayoutTwoAsync(azurite, prefix);
        var clock = new FakeTimeProvider(Start);
        var recorder = new RunRecorder();
        await using var a = await StartAsync(prefix, "a", clock, recorder);
        await using var b = await StartAsync(prefix, "b", clock, recorder);
        await using var c = await StartAsync(prefix, "c", clock, recorder);
        SchedulerHarness[] instances = [a, b, c];
        var keys = Enumerable.Range(0, 120).Select(i => new ScheduleKey("default", i % 10 == 0 ? $"m|{i:D3}" : $"m{i:D3}")).ToList();
        foreach (var key in keys)
        {
            await a.SchedulesTable.PutRawAsync(key.Id, ("Job", "pause"), ("Interval", "1m"), ("StartAt", Start.AddSeconds(30)));
        }

        await a.Reconciler.ReconcileAsync(default);
        var errors = new List<string>();
        await TickAllAsync(instances, clock, TimeSpan.FromSeconds(31), errors);
        await TickAllAsync(instances, clock, TimeSpan.FromSeconds(60), errors);
        await a.SchedulesTable.PutRawAsync(keys[1].Id, ("Job", "pause"), ("Interval", "1m"), ("StartAt", Start.AddSeconds(30)), ("Args", "{\"v\":2}"));
        await a.Reconciler.ReconcileAsync(default);
        await a.Tables.State.AddEntityAsync(new TableEntity("not a schedule", "state") { ["Note"] = "written by hand" });

        // Act: the move is announced; a minute on (still layout 2 for everyone), then past its start, rows move while
        // all three tick; two more minutes after it ends
        var migration = a.Services.GetRequiredService<LayoutMigration>();
        var announced = await migration.StepAsync(default);
        var announcedRow = await LayoutRowAsync(a);
        await TickAllAsync(instances, clock, TimeSpan.FromSeconds(60), errors);
        clock.Advance(TimeSpan.FromSeconds(60));
        var moving = Task.Run(async () =>
        {
            var steps = new List<MigrationStep>();
            do
            {
                steps.Add(await migration.StepAsync(default));
            }
            while (!steps[^1].Done);
            return steps;
        });
        await TickAllAsync(instances, clock, TimeSpan.Zero, errors);
        var steps = await moving;
        await TickAllAsync(instances, clock, TimeSpan.FromSeconds(60), errors);
        await TickAllAsync(instances, clock, TimeSpan.FromSeconds(60), errors);
        for (var late = 0; late < 6 && recorder.Runs.Count < 120 * 6; late++)
        {
            await TickAllAsync(instances, clock, TimeSpan.FromSeconds(5), errors); // a shard between holders at the last tick runs late
        }

        // Assert: announced as layout 4 (which older versions refuse), ended as layout 3
        Assert.False(announced.Done);
        Assert.StartsWith("announced", announced.Status, StringComparison.Ordinal);
        Assert.Equal((4, 8, null), (announcedRow.GetInt32("Version"), announcedRow.GetInt32("Shards"), announcedRow.GetInt32("ShardCount")));
        Assert.Equal(120, steps.Sum(s => s.Moved));
        Assert.Equal(1, steps[^1].LeftInPlace);
        var finalRow = await LayoutRowAsync(a);
        Assert.Equal((3, 8, null), (finalRow.GetInt32("Version"), finalRow.GetInt32("Shards"), finalRow.GetInt32("ShardCount")));

        // every occurrence (due at :30 of six minutes) ran once, none lost
        Assert.Empty(errors);
        Assert.Equal(120 * 6, recorder.Runs.Count);
        Assert.Equal(120 * 6, recorder.Runs.Select(r => r.Key).Distinct().Count());

        // every row in a shard partition but the one naming no schedule, left where it was; history kept
        var rows = await a.Tables.State.QueryAsync<TableEntity>().ToListAsync();
        Assert.Equal(["not a schedule"], rows.Where(r => !r.PartitionKey.StartsWith("shard-", StringComparison.Ordinal)).Select(r => r.PartitionKey));
        Assert.Equal(120, rows.Count(r => r.RowKey.StartsWith("state|", StringComparison.Ordinal)));
        Assert.DoesNotContain(rows, r => r.ContainsKey(LayoutMove.MarkColumn));
        foreach (var key in keys)
        {
            var runs = await a.States.ReadRunsAsync(key);
            Assert.Equal(6, runs.Count);
            Assert.All(runs, r => Assert.Equal(Runs.RunStatus.Succeeded, r.Status));
        }

        Assert.Equal(["Edited", "Added"], (await a.States.ReadEditsAsync(keys[1])).Select(e => e.Change));
        var audit = await a.Services.GetRequiredService<LedgerAudit>().AuditAsync(Start, clock.GetUtcNow(), clock.GetUtcNow());
        Assert.Equal(120, audit.Count);
        Assert.All(audit, s => Assert.Empty(s.Result.Defects));
    }

    [Fact]
    public async Task AMove_WaitsWhileAShardIsLeasedByAVersionThatCannotFollowIt_AndStartsWhenThatLeaseEnds()
    {
        // Arrange: layout-2 tables; shard 3 leased by an instance of an older version (its lease row says no layouts)
        var prefix = SchedulerHarness.NewPrefix();
        await SchedulerHarness.SeedLayoutTwoAsync(azurite, prefix);
        var clock = new FakeTimeProvider(Start);
        await using var harness = await StartAsync(prefix, "new", clock, new RunRecorder());
        await harness.Tables.DueIndex.AddEntityAsync(new TableEntity(ShardStore.Partition, ShardStore.LeaseRow(3))
        {
            ["Owner"] = "old-1",
            ["ExpiresAt"] = Iso.Format(Start.AddSeconds(20)),
        });
        var migration = harness.Services.GetRequiredService<LayoutMigration>();

        // Act
        var waiting = await migration.StepAsync(default);
        var rowWhileWaiting = await LayoutRowAsync(harness);
        clock.Advance(TimeSpan.FromSeconds(21));
        var announced = await migration.StepAsync(default);

        // Assert
        Assert.False(waiting.Done);
        Assert.Contains("shards [3] are held by old-1", waiting.Status, StringComparison.Ordinal);
        Assert.Equal(2, rowWhileWaiting.GetInt32("Version"));
        Assert.StartsWith("announced", announced.Status, StringComparison.Ordinal);
        Assert.Equal(4, (await LayoutRowAsync(harness)).GetInt32("Version"));
    }

    [Fact]
    public async Task AMoveLeftHalfDone_IsFinishedByTheFirstReader_AndTheScheduleRunsOnOnce()
    {
        // Arrange: a schedule that ran once on layout 2; then a mover marked its state and stopped (no copy yet)
        var prefix = SchedulerHarness.NewPrefix();
        await SchedulerHarness.SeedLayoutTwoAsync(azurite, prefix);
        var clock = new FakeTimeProvider(Start);
        var recorder = new RunRecorder();
        await using var harness = await StartAsync(prefix, "new", clock, recorder);
        var key = new ScheduleKey("default", "half");
        await harness.SchedulesTable.PutRawAsync(key.Id, ("Job", "pause"), ("Interval", "1m"), ("StartAt", Start.AddSeconds(30)));
        await harness.Reconciler.ReconcileAsync(default);
        await TickAllAsync([harness], clock, TimeSpan.FromSeconds(31), []);
        var sharded = new ShardedLayout(8);
        await harness.Tables.State.UpdateEntityAsync(new TableEntity(key.Value, "state") { [LayoutMove.MarkColumn] = sharded.Partition(key) }, Azure.ETag.All, TableUpdateMode.Merge);
        var row = await LayoutRowAsync(harness);
        await harness.Tables.DueIndex.UpdateEntityAsync(
            new TableEntity(ShardStore.Partition, ShardStore.LayoutRow) { ["Version"] = 4, ["Shards"] = 8, ["MovesFrom"] = Iso.Format(Start) }, row.ETag, TableUpdateMode.Replace);
        clock.Advance(TimeSpan.FromSeconds(30)); // the instance reads the layout row again

        // Act: it reads the state (to dispatch it)
        var state = await harness.States.GetAsync(key);
        await TickAllAsync([harness], clock, TimeSpan.FromSeconds(30), []);

        // Assert: the state, its ledger and edit rows are in the shard partition only; the next occurrence ran once
        Assert.NotNull(state);
        Assert.Same(typeof(ShardedLayout), state.Layout?.GetType());
        var rows = await harness.Tables.State.QueryAsync<TableEntity>().ToListAsync();
        Assert.All(rows, r => Assert.Equal(sharded.Partition(key), r.PartitionKey));
        Assert.Equal(["state|", "run|", "run|", "edit|"], rows.Select(r => r.RowKey[..(r.RowKey.IndexOf('|', StringComparison.Ordinal) + 1)]).OrderByDescending(k => k.StartsWith('s')).ThenByDescending(k => k.StartsWith('r')));
        Assert.Equal(2, recorder.Runs.Distinct().Count());
        Assert.Equal(2, (await harness.States.ReadRunsAsync(key)).Count);
    }

    [Fact]
    public async Task TheBackgroundMove_WaitsForTablesNotCreatedYet_AndEndsWhenTheyAreLayoutThree()
    {
        // Arrange: a host's services before its start-up created the tables (the standalone host creates them at its first tick)
        var options = new Scheduler.Hosting.SchedulerOptions { LayoutMoveNotice = TimeSpan.FromSeconds(4) };
        options.Tables.Prefix = SchedulerHarness.NewPrefix();
        await using var services = Scheduler.Development.SchedulerServices.Build(azurite.ConnectionString, options);
        var migration = services.GetRequiredService<LayoutMigration>();

        // Act
        var run = migration.RunAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var waitedWithoutTables = !run.IsCompleted;
        await services.GetRequiredService<Scheduler.Hosting.SchedulerInitializer>().InitializeAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        // Assert
        Assert.True(waitedWithoutTables);
        Assert.True(run.IsCompletedSuccessfully);
    }

    private static async Task TickAllAsync(IReadOnlyList<SchedulerHarness> instances, FakeTimeProvider clock, TimeSpan advance, List<string> errors)
    {
        clock.Advance(advance);
        foreach (var report in await Task.WhenAll(instances.Select(i => i.Dispatcher.TickAsync())))
        {
            errors.AddRange(report.Errors.Select(e => e.ToString()!));
        }
    }

    private static async Task<TableEntity> LayoutRowAsync(SchedulerHarness harness) =>
        (await harness.Tables.DueIndex.GetEntityAsync<TableEntity>(ShardStore.Partition, ShardStore.LayoutRow)).Value;

    /// <summary>Instances on the shared fake clock, whose retries after a conflict (rows moving under them) wait real milliseconds instead of a clock no one advances.</summary>
    private Task<SchedulerHarness> StartAsync(string prefix, string instance, FakeTimeProvider clock, RunRecorder recorder) =>
        SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<PausingJob>("pause"),
            configure: o => { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromSeconds(90); },
            services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock).AddSingleton(new ConflictRetry(TimeProvider.System)), instanceId: instance);

    /// <summary>Records its run, then takes a few real milliseconds, so runs end while rows move.</summary>
    private sealed class PausingJob(RunRecorder recorder) : IJob
    {
        public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            recorder.Runs.Enqueue((context.IdempotencyKey, context.Attempt));
            await Task.Delay(Random.Shared.Next(1, 25), CancellationToken.None);
        }
    }
}
