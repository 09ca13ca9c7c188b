using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// The soak's lost schedule, made deterministic: while a tick holds a due entry, another instance changes the state
/// (so the tick's claim meets a 412) and a third, working from an older read, removes the entry as stale.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class LostIndexEntryTests(AzuriteFixture azurite)
{
    /// <summary>Once armed: right after the scheduler reads a state row (alone, or as a shard's batch reads due states), changes it out of band and deletes its schedule's due entries.</summary>
    private sealed class RivalInstances(string connectionString) : AsyncPipelinePolicy
    {
        private int _armed;

        public string DueTable { get; set; } = "";

        public void ArmOnce() => Interlocked.Exchange(ref _armed, 1);

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            var uri = Uri.UnescapeDataString(message.Request.Uri.ToUri().AbsolutePath);
            if (message.Request.Method != RequestMethod.Get || (StateRowRequest.From(uri) ?? StateRowRequest.FromDueStatesQuery(message.Request.Uri.ToUri())) is not { } read || message.Response.Status != 200
                || Interlocked.Exchange(ref _armed, 0) != 1)
            {
                return;
            }

            await new TableClient(connectionString, read.Table).UpdateEntityAsync(new TableEntity(read.PartitionKey, read.RowKey) { ["TouchedBy"] = "another instance" }, Azure.ETag.All, TableUpdateMode.Merge);
            var schedule = read.RowKey["state|".Length..];
            var due = new TableClient(connectionString, DueTable);
            await foreach (var entry in due.QueryAsync<TableEntity>())
            {
                if (entry.RowKey.EndsWith("|" + schedule, StringComparison.Ordinal))
                {
                    await due.DeleteEntityAsync(entry.PartitionKey, entry.RowKey);
                }
            }
        }
    }

    [Fact]
    public async Task AClaimThatLosesToAnotherInstance_LeavesTheScheduleIndexed_SoTheOccurrenceStillRuns()
    {
        // Arrange
        var recorder = new RunRecorder();
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 1, 6, 9, 0, 0, TimeSpan.Zero)); // ahead of the real clock, as Azurite's Timestamps need
        var rivals = new RivalInstances(azurite.ConnectionString);
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => o.PreciseFiring = false,
            services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock).AddSingleton(_ =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(rivals, HttpPipelinePosition.PerCall);
                return new TableServiceClient(azurite.ConnectionString, options);
            }));
        rivals.DueTable = harness.Tables.DueIndex.Name;
        await harness.SchedulesTable.PutRawAsync("contested", ("Job", "record"), ("Interval", "1m"), ("StartAt", clock.GetUtcNow().AddSeconds(30)));
        await harness.Reconciler.ReconcileAsync(default);
        clock.Advance(TimeSpan.FromSeconds(31));

        // Act: the first tick loses its claim and its entry; the next one comes; and a minute later the next occurrence's
        rivals.ArmOnce();
        var due = clock.GetUtcNow().AddSeconds(-1);
        var lost = await harness.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        var next = await harness.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        var minuteLater = await harness.Dispatcher.TickAsync();

        // Assert: the claim met the rival's change once; the occurrence ran once (a shard's batch hands a lost claim to
        // the one-schedule path, which reads the state again and claims it in the same tick; alone, the next tick runs
        // it); the schedule kept an entry, so the next occurrence ran too
        Assert.Equal(1, lost.Conflicts);
        Assert.Equal(1, lost.Ran + next.Ran);
        Assert.Equal(1, minuteLater.Ran);
        Assert.Equal([IdempotencyKeysFor("contested", due), IdempotencyKeysFor("contested", due.AddMinutes(1))], recorder.Runs.Select(r => r.Key));
    }

    private static string IdempotencyKeysFor(string id, DateTimeOffset due) => Scheduler.Jobs.IdempotencyKeys.For(new ScheduleKey("default", id), due);
}
