using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Jobs;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>Rows the scheduler reads, written by someone else: each is set aside and reported; nothing else stops.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class HostileRowTests(AzuriteFixture azurite)
{
    // Ahead of the real clock: the applier reads an entry's Azurite Timestamp (real time) as its change time, and a
    // fake clock behind it would plan from after that (the test failed once real time passed its old Start, today 09:00).
    private static readonly DateTimeOffset Start = new(2031, 1, 6, 9, 0, 0, TimeSpan.Zero);

    private async Task<(SchedulerHarness Harness, RunRecorder Recorder, FakeTimeProvider Clock)> StartAsync(string? prefix = null, RunRecorder? recorder = null, FakeTimeProvider? clock = null)
    {
        recorder ??= new RunRecorder();
        clock ??= new FakeTimeProvider(Start);
        var harness = await SchedulerHarness.StartAsync(azurite, prefix ?? SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => o.PreciseFiring = false, services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock));
        return (harness, recorder, clock);
    }

    private static async Task EveryMinuteAsync(SchedulerHarness harness, string id) =>
        await harness.SchedulesTable.PutRawAsync(id, ("Job", "record"), ("Interval", "1m"), ("StartAt", Start.AddSeconds(30)));

    [Fact]
    public async Task DueIndexRowsNamingNoSchedule_AreQuarantinedOnce_AndTheOtherSchedulesRun()
    {
        // Arrange: the row the issue found (a heartbeat writing into ScheduleDue), one with a key that is no schedule key
        var (harness, recorder, clock) = await StartAsync();
        await using var _ = harness;
        await EveryMinuteAsync(harness, "a");
        await EveryMinuteAsync(harness, "b");
        await harness.Reconciler.ReconcileAsync(default);
        await harness.Tables.DueIndex.UpsertEntityAsync(new TableEntity(DueIndex.LegacyPartition, "0000000000000000001") { ["Due"] = Start });
        await harness.Tables.DueIndex.UpsertEntityAsync(new TableEntity(DueIndex.ShardPartition(0), "0000000000000000002|no-bar-here"));
        clock.Advance(TimeSpan.FromSeconds(31));

        // Act
        var first = await harness.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        var second = await harness.Dispatcher.TickAsync();

        // Assert: both schedules ran at both due times; each bad row counted once, removed, and held in the quarantine
        Assert.Empty(first.Errors);
        Assert.Equal((2, 2), (first.Quarantined, first.Ran));
        Assert.Equal((0, 2), (second.Quarantined, second.Ran));
        Assert.Equal(4, recorder.Runs.Count);
        var quarantined = await harness.Services.GetRequiredService<RowQuarantine>().ListAsync();
        Assert.Equal(["0000000000000000001", "0000000000000000002|no-bar-here"], quarantined.Select(q => q.Fault.RowKey).Order());
        Assert.All(quarantined, q => Assert.Equal(harness.Tables.DueIndex.Name, q.Fault.Table));
        Assert.Contains("19 digits of UTC ticks", quarantined.Single(q => q.Fault.RowKey == "0000000000000000001").Fault.Reason);
        Assert.Contains("schedule part", quarantined.Single(q => q.Fault.RowKey.EndsWith("|no-bar-here", StringComparison.Ordinal)).Fault.Reason);
        Assert.Empty(await harness.Services.GetRequiredService<DueIndex>().FindBadRowsAsync(default));
    }

    [Fact]
    public async Task DamagedStateRow_IsRepairedFromItsDefinitionAndLedger_AndNoOccurrenceRunsTwice()
    {
        // Arrange: a schedule that has run once, whose state row a person then damages column by column
        var prefix = SchedulerHarness.NewPrefix();
        var (harness, recorder, clock) = await StartAsync(prefix);
        await using (harness)
        {
            await EveryMinuteAsync(harness, "damaged");
            await harness.Reconciler.ReconcileAsync(default);
            clock.Advance(TimeSpan.FromSeconds(31));
            Assert.Equal(1, (await harness.Dispatcher.TickAsync()).Ran);
        }

        var key = new ScheduleKey("default", "damaged");
        var (restarted, _, _) = await StartAsync(prefix, recorder, clock);
        await using var __ = restarted;
        var damage = await restarted.StateRowAsync(key);
        foreach (var (column, value) in new Dictionary<string, object> { ["InFlight"] = "garbage", ["Status"] = 42, ["LastDue"] = "yesterday-ish", ["NextDue"] = 5L, ["Pending"] = "[[1,2]]" })
        {
            damage[column] = value;
        }

        await restarted.Tables.State.UpdateEntityAsync(damage, Azure.ETag.All, TableUpdateMode.Merge);

        // Act: the tools read it, a restarted host's start-up pass and ticks go on
        var read = await restarted.States.GetAsync(key);
        var pass = await restarted.Reconciler.ReconcileAsync(default);
        clock.Advance(TimeSpan.FromMinutes(1));
        var tick = await restarted.Dispatcher.TickAsync();

        // Assert: read without throwing, faults named; repaired; the next occurrence ran, the first not again
        Assert.Equal(5, read!.Faults.Count);
        Assert.Contains(read.Faults, f => f.StartsWith("column InFlight is \"garbage\"", StringComparison.Ordinal));
        Assert.Contains(read.Faults, f => f.StartsWith("column Status is a number 42", StringComparison.Ordinal));
        Assert.Empty(pass.Errors);
        Assert.Empty(tick.Errors);
        Assert.Equal(1, tick.Ran);
        var repaired = (await restarted.States.GetAsync(key))!;
        Assert.Empty(repaired.Faults);
        Assert.Equal(Start.AddSeconds(90), repaired.State.LastDue);
        Assert.Equal([IdempotencyKeys.For(key, Start.AddSeconds(30)), IdempotencyKeys.For(key, Start.AddSeconds(90))], recorder.Runs.Select(r => r.Key).Order());
        var quarantined = Assert.Single(await restarted.Services.GetRequiredService<RowQuarantine>().ListAsync());
        Assert.Equal((damage.PartitionKey, damage.RowKey), (quarantined.Fault.PartitionKey, quarantined.Fault.RowKey));
        Assert.Contains("garbage", quarantined.Original);
    }

    [Fact]
    public async Task StateRowOfTheWrongType_DoesNotStopTheStartUpPass_FromPickingUpNewSchedules()
    {
        // Arrange
        var prefix = SchedulerHarness.NewPrefix();
        var (harness, _, clock) = await StartAsync(prefix);
        await using var _ = harness;
        await EveryMinuteAsync(harness, "old");
        await harness.Reconciler.ReconcileAsync(default);
        var old = await harness.StateRowAsync(new ScheduleKey("default", "old"));
        old["Status"] = true;
        old["DefinitionETag"] = 7;
        await harness.Tables.State.UpdateEntityAsync(old, Azure.ETag.All, TableUpdateMode.Merge);
        await harness.Tables.State.UpsertEntityAsync(new TableEntity(ShardedLayout.ShardPartition(0), "state|not-a-schedule-key") { ["Status"] = "Active" });
        var elsewhere = await harness.StateRowAsync(new ScheduleKey("default", "elsewhere"));
        var wrongShard = ShardedLayout.ShardPartition((int.Parse(elsewhere.PartitionKey[^2..], System.Globalization.CultureInfo.InvariantCulture) + 1) % 8);
        await harness.Tables.State.UpsertEntityAsync(new TableEntity(wrongShard, elsewhere.RowKey) { ["Status"] = "Active" });
        await EveryMinuteAsync(harness, "new");

        // Act: a new process's first pass
        var (restarted, _, _) = await StartAsync(prefix, clock: clock);
        await using var __ = restarted;
        var pass = await restarted.Reconciler.ReconcileAsync(default);

        // Assert
        Assert.Empty(pass.Errors);
        Assert.Equal(Scheduler.Planning.ScheduleStatus.Active, (await restarted.States.GetAsync(new ScheduleKey("default", "new")))!.State.Status);
        Assert.Empty((await restarted.States.GetAsync(new ScheduleKey("default", "old")))!.Faults);
        var quarantined = await restarted.Services.GetRequiredService<RowQuarantine>().ListAsync();
        Assert.Contains(quarantined, q => q.Fault.RowKey == "state|not-a-schedule-key" && q.Fault.Reason.Contains("not a schedule key", StringComparison.Ordinal));
        Assert.Contains(quarantined, q => q.Fault.PartitionKey == wrongShard && q.Fault.Reason.Contains($"belongs in partition \"{elsewhere.PartitionKey}\"", StringComparison.Ordinal));
        Assert.Contains(quarantined, q => q.Fault.PartitionKey == old.PartitionKey && q.Fault.RowKey == old.RowKey);
    }

    [Fact]
    public async Task DeletedStateRow_IsRecreated_WhenItsScheduleIsNextDue_WithoutRunningTheLastOccurrenceAgain()
    {
        // Arrange
        var (harness, recorder, clock) = await StartAsync();
        await using var _ = harness;
        await EveryMinuteAsync(harness, "deleted");
        await harness.Reconciler.ReconcileAsync(default);
        clock.Advance(TimeSpan.FromSeconds(31));
        await harness.Dispatcher.TickAsync();
        var key = new ScheduleKey("default", "deleted");
        var row = await harness.StateRowAsync(key);
        await harness.Tables.State.DeleteEntityAsync(row.PartitionKey, row.RowKey);

        // Act
        clock.Advance(TimeSpan.FromMinutes(1));
        var tick = await harness.Dispatcher.TickAsync();

        // Assert
        Assert.Empty(tick.Errors);
        Assert.Equal((1, 1), (tick.Quarantined, tick.Ran));
        Assert.Equal(2, recorder.Runs.Count);
        Assert.Equal(2, recorder.Runs.Select(r => r.Key).Distinct().Count());
        var edits = await harness.States.ReadEditsAsync(key);
        Assert.Equal("Re-created", edits[0].Change);
        Assert.Equal(Start.AddSeconds(90), (await harness.States.GetAsync(key))!.State.LastDue);
    }

    [Fact]
    public async Task LedgerEditAndCatalogRows_OfTheWrongType_ReadAsFaults_NotExceptions()
    {
        // Arrange
        var (harness, _, clock) = await StartAsync();
        await using var _ = harness;
        await EveryMinuteAsync(harness, "x");
        await harness.Reconciler.ReconcileAsync(default);
        clock.Advance(TimeSpan.FromSeconds(31));
        await harness.Dispatcher.TickAsync();
        var key = new ScheduleKey("default", "x");
        var run = (await harness.States.ReadRunsAsync(key))[0];
        var layout = await harness.States.LayoutAsync();
        var edit = (await harness.Tables.State.QueryAsync<TableEntity>(layout.HistoryFilter(key, HistoryRows.Edits)).ToListAsync())[0];
        await harness.Tables.State.UpdateEntityAsync(new TableEntity(layout.Partition(key), run.RowKey) { ["Status"] = 3.5, ["Due"] = "soon", ["Attempt"] = "first" }, Azure.ETag.All, TableUpdateMode.Merge);
        await harness.Tables.State.UpdateEntityAsync(new TableEntity(layout.Partition(key), edit.RowKey) { ["DetectedAt"] = Guid.NewGuid(), ["Change"] = 1 }, Azure.ETag.All, TableUpdateMode.Merge);
        await harness.Tables.Jobs.UpsertEntityAsync(new TableEntity(JobCatalogStore.SettingsPartition, "validation") { ["AllowedContainers"] = 12, ["MaxTimeoutSeconds"] = "forever" });
        await harness.Tables.Jobs.UpsertEntityAsync(new TableEntity(JobCatalogStore.Partition, "weird") { ["Description"] = new byte[] { 1, 2 } });

        // Act
        var runs = await harness.States.ReadRunsAsync(key);
        var edits = await harness.States.ReadEditsAsync(key);
        var validation = await harness.Services.GetRequiredService<JobCatalogStore>().ReadValidationAsync();
        var jobs = await harness.Services.GetRequiredService<JobCatalogStore>().ListAsync();

        // Assert
        Assert.Contains("column Due is \"soon\"", runs[0].Fault);
        Assert.Contains("column Attempt", runs[0].Fault);
        Assert.Contains("column DetectedAt is a GUID", edits[0].Fault);
        Assert.Empty(validation.AllowedContainers);
        Assert.Null(validation.MaxTimeout);
        Assert.Contains(jobs, j => j.Name == "weird" && j.Description is null);
    }
}
