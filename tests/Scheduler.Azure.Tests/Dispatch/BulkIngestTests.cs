using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// A pass that finds entries with no state adds them without reading one, their index entries written a shard's 100 in
/// one transaction: about one request an entry. Entries whose state exists after all take the read-first way.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class BulkIngestTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2031, 3, 3, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task NewEntries_AreAddedWithAboutOneRequestEach_EachWithItsStateEditRowAndIndexEntry()
    {
        // Arrange: 300 entries: yearly crons, one-offs due next week, a paused one and one naming no registered job
        await using var harness = await StartAsync(SchedulerHarness.NewPrefix(), "a");
        await harness.Reconciler.ReconcileAsync(default); // an empty table: the pass that follows finds every entry new
        var rows = Enumerable.Range(0, 300).Select(i => new TableEntity("default", $"s{i:D3}")
        {
            ["Job"] = i == 7 ? "no-such-job" : "noop",
            [i % 2 == 0 ? "Cron" : "RunAt"] = i % 2 == 0 ? "0 0 1 1 *" : Now.AddDays(7).AddMinutes(i),
            ["Enabled"] = i != 8,
        }).ToList();
        foreach (var chunk in rows.Chunk(100))
        {
            await harness.SchedulesTable.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)));
        }

        // Act
        var before = harness.Requests.Total;
        var pass = await harness.Reconciler.ReconcileAsync(default);
        var requests = harness.Requests.Total - before;

        // Assert: every entry applied once; the key scan, the full read, 2 index transactions a shard, and a commit an entry
        Assert.Empty(pass.Errors);
        Assert.Equal(300, pass.Changed);
        Assert.InRange(requests, 300, 300 + 30);
        var indexed = await IndexedAsync(harness);
        foreach (var row in rows)
        {
            var key = new ScheduleKey(row.PartitionKey, row.RowKey);
            var state = await harness.States.GetAsync(key);
            Assert.NotNull(state);
            Assert.Equal(row.RowKey == "s007" ? ScheduleStatus.Invalid : row.RowKey == "s008" ? ScheduleStatus.Paused : ScheduleStatus.Active, state.State.Status);
            Assert.Equal("Added", Assert.Single(await harness.States.ReadEditsAsync(key)).Change);
            if (state.WakeAt is { } wake)
            {
                Assert.Contains((wake, key.Value), indexed);
            }
        }

        Assert.Equal(298, indexed.Count(e => rows.Any(r => $"{r.PartitionKey}|{r.RowKey}" == e.Key)));
    }

    [Fact]
    public async Task AnEntryWhoseStateExistsAfterAll_IsAppliedTheReadFirstWay()
    {
        // Arrange: instance a has read the empty table; b adds three entries, then one is removed and added back in a
        var prefix = SchedulerHarness.NewPrefix();
        var clock = new FakeTimeProvider(Now);
        await using var a = await StartAsync(prefix, "a", clock);
        await using var b = await StartAsync(prefix, "b", clock);
        await a.Reconciler.ReconcileAsync(default);
        foreach (var id in new[] { "x", "y", "z" })
        {
            await a.SchedulesTable.PutRawAsync(id, ("Job", "noop"), ("Cron", "0 0 1 1 *"));
        }

        await b.Reconciler.ReconcileAsync(default);
        clock.Advance(TimeSpan.FromSeconds(1)); // edit rows are keyed by the time they were seen
        await a.SchedulesTable.DeleteEntityAsync("default", "z");
        await b.Reconciler.ReconcileAsync(default);
        clock.Advance(TimeSpan.FromSeconds(1));
        await a.SchedulesTable.PutRawAsync("z", ("Job", "noop"), ("Cron", "0 0 2 1 *"));

        // Act: a finds all three new (it saw no state for them); their state rows exist
        var pass = await a.Reconciler.ReconcileAsync(default);

        // Assert: x and y were already applied (nothing written); z is re-added, its history complete
        Assert.Empty(pass.Errors);
        Assert.Equal(1, pass.Changed);
        Assert.Equal(["Added"], (await a.States.ReadEditsAsync(new ScheduleKey("default", "x"))).Select(e => e.Change));
        var z = await a.States.GetAsync(new ScheduleKey("default", "z"));
        Assert.Equal(ScheduleStatus.Active, z!.State.Status);
        Assert.Equal((1, 2, 0), (z.WakeAt!.Value.Month, z.WakeAt.Value.Day, z.WakeAt.Value.Hour)); // the new version's cron
        Assert.Equal(["Re-added", "Deleted", "Added"], (await a.States.ReadEditsAsync(new ScheduleKey("default", "z"))).Select(e => e.Change));
        Assert.Contains((z.WakeAt!.Value, "default|z"), await IndexedAsync(a));
    }

    private Task<SchedulerHarness> StartAsync(string prefix, string instance, FakeTimeProvider? clock = null) =>
        SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<NoopJob>("noop"),
            configure: o => o.ReconcileInterval = TimeSpan.FromHours(1), services: s => s.AddSingleton<TimeProvider>(clock ?? new FakeTimeProvider(Now)), instanceId: instance);

    private static async Task<List<(DateTimeOffset WakeAt, string Key)>> IndexedAsync(SchedulerHarness harness)
    {
        var entries = new List<(DateTimeOffset, string)>();
        await foreach (var row in harness.Tables.DueIndex.QueryAsync<TableEntity>(e => e.PartitionKey.CompareTo("due-") >= 0 && e.PartitionKey.CompareTo("due.") < 0))
        {
            Assert.True(DueIndex.TryParse(row.RowKey, out var entry, out _), row.RowKey);
            entries.Add((entry.WakeAt, entry.Key.Value));
        }

        return entries;
    }

    private sealed class NoopJob : Scheduler.Jobs.IJob
    {
        public Task RunAsync(Scheduler.Jobs.JobContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
