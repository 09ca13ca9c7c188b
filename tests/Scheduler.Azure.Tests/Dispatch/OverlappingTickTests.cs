using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Dispatch;
using Scheduler.Jobs;
using Scheduler.Schedules;
using Scheduler.Sharding;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// Overlapping ticks of one process: a tick whose read of the due index is stale by the time it takes its schedules
/// (another tick claimed one and moved its entry in between) leaves that schedule alone instead of reading its state
/// to find it claimed and moving an entry that is gone.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class OverlappingTickTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Start = new(2031, 4, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ATickWhoseReadWentStale_LeavesTheScheduleToTheTickThatTookIt_WithoutReadingItsState()
    {
        // Arrange: a one-off due at 9:01. The first tick's due read waits until the second tick's read of the same
        // shard has been answered; the second's answer is handed over only once the first tick's run has started
        // (so the entry it holds was moved after it was read).
        var prefix = SchedulerHarness.NewPrefix();
        var key = new ScheduleKey("default", "overlap");
        var reads = new StaleSecondRead(prefix, ShardedDueTable.Partition(key));
        var started = new RunStarted();
        var clock = new FakeTimeProvider(Start);
        await using var harness = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<SignalsStart>("signal"),
            configure: o => { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromMinutes(5); },
            services: s => s.AddSingleton(started).AddSingleton<TimeProvider>(clock).AddSingleton(_ =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(reads, HttpPipelinePosition.PerCall);
                return new TableServiceClient(azurite.ConnectionString, options);
            }));
        await harness.SchedulesTable.PutRawAsync(key.Id, ("Job", "signal"), ("RunAt", Start.AddMinutes(1)));
        await harness.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        reads.Arm(started.Task);

        // Act
        var first = harness.Dispatcher.TickAsync();
        await reads.FirstSent.WaitAsync(TimeSpan.FromSeconds(30));
        var second = harness.Dispatcher.TickAsync();
        var (one, two) = (await first, await second);

        // Assert: the first tick ran it once; the second took nothing and read no state; no entry is left behind
        Assert.Equal((1, 1), (one.Claimed, one.Succeeded));
        Assert.Equal((1, 0, 0), (two.DueEntries, two.Claimed, two.Conflicts));
        Assert.Equal(1, started.Count);
        Assert.Equal(0, reads.StatePointReads);
        Assert.Empty(await harness.Tables.DueIndex.QueryAsync<TableEntity>(e => e.PartitionKey == ShardedDueTable.Partition(key)).ToListAsync());
    }

    private static class ShardedDueTable
    {
        public static string Partition(ScheduleKey key) => DueIndex.ShardPartition(ShardMap.ShardOf(key, ShardMap.DefaultCount));
    }

    public sealed class RunStarted
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public Task Task => _started.Task;
        public int Count => _count;

        public void Signal()
        {
            Interlocked.Increment(ref _count);
            _started.TrySetResult();
        }
    }

    public sealed class SignalsStart(RunStarted started) : IJob
    {
        public Task RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            started.Signal();
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// Once armed: the first due read of <paramref name="partition"/> is answered only after the second has been; the
    /// second's answer is handed over once <c>release</c> completes. Counts point reads of the state table.
    /// </summary>
    private sealed class StaleSecondRead(string prefix, string partition) : AsyncPipelinePolicy
    {
        private readonly TaskCompletionSource _firstSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _secondAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task? _release;
        private int _reads;
        private int _statePointReads;

        public Task FirstSent => _firstSent.Task;
        public int StatePointReads => Volatile.Read(ref _statePointReads);

        public void Arm(Task release) => _release = release;

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var path = Uri.UnescapeDataString(message.Request.Uri.ToUri().PathAndQuery);
            if (_release is not null && message.Request.Method == RequestMethod.Get && path.Contains($"/{prefix}ScheduleState(PartitionKey=", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _statePointReads);
            }

            var dueRead = _release is not null && message.Request.Method == RequestMethod.Get
                && path.Contains($"/{prefix}ScheduleDue()", StringComparison.Ordinal) && path.Contains($"PartitionKey eq '{partition}'", StringComparison.Ordinal);
            var n = dueRead ? Interlocked.Increment(ref _reads) : 0;
            if (n == 1)
            {
                _firstSent.TrySetResult();
            }

            await ProcessNextAsync(message, pipeline);
            if (n == 1)
            {
                await _secondAnswered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
            else if (n == 2)
            {
                _secondAnswered.TrySetResult();
                await _release!.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
    }
}
