using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Schedules;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Storage;

/// <summary>
/// New tables get layout 3 (a schedule's rows in its shard's partition); tables an older version wrote keep layout 2 (a
/// partition per schedule) and work as before; a layout row this version cannot read stops start-up, saying why.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class TableLayoutTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Start = new(2031, 1, 6, 9, 0, 0, TimeSpan.Zero);
    private static readonly string[] Ids = ["a", "a|b", "a%7Cb"];

    [Fact]
    public async Task NewTables_GetLayoutThree_WithACountColumnLayoutTwoDoesNotRead_AndEveryRowInItsShardsPartition()
    {
        // Arrange
        var prefix = SchedulerHarness.NewPrefix();
        var (harness, recorder, clock) = await StartAsync(prefix);
        await using var _ = harness;

        // Act: three schedules whose ids a naive key would confuse run twice, and one is edited
        var runs = await RunTwiceAndEditAsync(harness, clock);

        // Assert
        var layout = await harness.Tables.DueIndex.GetEntityAsync<TableEntity>(ShardStore.Partition, ShardStore.LayoutRow);
        Assert.Equal((3, 8, null), (layout.Value.GetInt32("Version"), layout.Value.GetInt32("Shards"), layout.Value.GetInt32("ShardCount")));
        var rows = await harness.Tables.State.QueryAsync<TableEntity>().ToListAsync();
        Assert.All(rows, r => Assert.Matches("^shard-0[0-7]$", r.PartitionKey));
        Assert.All(rows, r => Assert.Matches(@"^(state|run|edit)\|default\|", r.RowKey));
        Assert.Equal(3, rows.Count(r => r.RowKey.StartsWith("state|", StringComparison.Ordinal)));
        Assert.Equal([2, 2, 2], runs);
        Assert.Equal(6, recorder.Runs.Distinct().Count());
        Assert.Equal(["Edited", "Added"], (await harness.States.ReadEditsAsync(new ScheduleKey("default", "a|b"))).Select(e => e.Change));
        Assert.Equal(["Added"], (await harness.States.ReadEditsAsync(new ScheduleKey("default", "a"))).Select(e => e.Change));
    }

    [Fact]
    public async Task TablesOfLayoutTwo_KeepIt_AndRunReadEditPruneAndAuditAsBefore()
    {
        // Arrange: the layout row an older version wrote
        var prefix = SchedulerHarness.NewPrefix();
        await SchedulerHarness.SeedLayoutTwoAsync(azurite, prefix);
        var (harness, recorder, clock) = await StartAsync(prefix);
        await using var _ = harness;

        // Act
        var runs = await RunTwiceAndEditAsync(harness, clock);
        var pruned = await harness.States.PruneAsync(new ScheduleKey("default", "a"), HistoryRows.Runs, 1);
        var audit = await harness.Services.GetRequiredService<Scheduler.Admin.LedgerAudit>().AuditAsync(Start, clock.GetUtcNow(), clock.GetUtcNow());

        // Assert: a partition per schedule, rows "state", "run-…", "edit-…", as that version keeps them
        Assert.Equal(2, (await harness.Tables.DueIndex.GetEntityAsync<TableEntity>(ShardStore.Partition, ShardStore.LayoutRow)).Value.GetInt32("Version"));
        var rows = await harness.Tables.State.QueryAsync<TableEntity>().ToListAsync();
        Assert.Equal(Ids.Select(id => $"default|{id}").Order(StringComparer.Ordinal), rows.Select(r => r.PartitionKey).Distinct().Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Matches("^(state|run-|edit-)", r.RowKey));
        Assert.Equal([2, 2, 2], runs);
        Assert.Equal(6, recorder.Runs.Distinct().Count());
        Assert.Equal(1, pruned);
        Assert.Single(await harness.States.ReadRunsAsync(new ScheduleKey("default", "a")));
        Assert.Equal(["Edited", "Added"], (await harness.States.ReadEditsAsync(new ScheduleKey("default", "a|b"))).Select(e => e.Change));
        Assert.Equal(2, audit.Count(a => a.Key != new ScheduleKey("default", "a")));
        Assert.All(audit.Where(a => a.Key != new ScheduleKey("default", "a")), a => Assert.Empty(a.Result.Defects));
    }

    [Fact]
    public async Task ALayoutRowOfANewerVersion_StopsStartUp_NamingTheRowAndWhatToDo()
    {
        // Arrange
        var prefix = SchedulerHarness.NewPrefix();
        var due = new TableClient(azurite.ConnectionString, prefix + new Scheduler.Hosting.TableNames().DueIndex);
        await due.CreateIfNotExistsAsync();
        await due.AddEntityAsync(new TableEntity(ShardStore.Partition, ShardStore.LayoutRow) { ["Version"] = 5, ["Shards"] = 8 });

        // Act
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await (await StartAsync(prefix)).Harness.DisposeAsync());

        // Assert
        Assert.Contains("layout 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("Run the newer version", error.Message, StringComparison.Ordinal);
        Assert.Contains("RowKey \"layout\"", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Every schedule due at +30 s and each minute after: two ticks run each twice; then "a|b" is edited. Returns each one's ledger count.</summary>
    private static async Task<int[]> RunTwiceAndEditAsync(SchedulerHarness harness, FakeTimeProvider clock)
    {
        foreach (var id in Ids)
        {
            await harness.SchedulesTable.PutRawAsync(id, ("Job", "record"), ("Interval", "1m"), ("StartAt", Start.AddSeconds(30)));
        }

        await harness.Reconciler.ReconcileAsync(default);
        foreach (var seconds in new[] { 31, 60 })
        {
            clock.Advance(TimeSpan.FromSeconds(seconds));
            Assert.Empty((await harness.Dispatcher.TickAsync()).Errors);
        }

        await harness.SchedulesTable.PutRawAsync("a|b", ("Job", "record"), ("Interval", "5m"), ("StartAt", Start.AddSeconds(30)));
        Assert.Empty((await harness.Reconciler.ReconcileAsync(default)).Errors);
        return [.. await Task.WhenAll(Ids.Select(async id => (await harness.States.ReadRunsAsync(new ScheduleKey("default", id))).Count))];
    }

    private async Task<(SchedulerHarness Harness, RunRecorder Recorder, FakeTimeProvider Clock)> StartAsync(string prefix)
    {
        var recorder = new RunRecorder();
        var clock = new FakeTimeProvider(Start);
        var harness = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => o.ReconcileInterval = TimeSpan.FromHours(1),
            services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock));
        return (harness, recorder, clock);
    }
}
