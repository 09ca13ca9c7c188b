using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Jobs;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>How runs end: an abandoned handler keeps its place until it really ends; disposal failures are outcomes.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class RunEndingTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Key = new("default", "deaf");

    /// <summary>Ignores cancellation for 4 s and notes when each execution started and ended.</summary>
    public sealed class DeafJob(ExecutionLog log) : IJob
    {
        public Task RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            var started = DateTimeOffset.UtcNow;
            Thread.Sleep(TimeSpan.FromSeconds(4));
            log.Executions.Enqueue((started, DateTimeOffset.UtcNow));
            return Task.CompletedTask;
        }
    }

    public sealed class ExecutionLog
    {
        public ConcurrentQueue<(DateTimeOffset Started, DateTimeOffset Ended)> Executions { get; } = new();
    }

    /// <summary>A scoped dependency whose disposal fails, as a client that cannot flush would.</summary>
    public sealed class BrokenOnDispose : IDisposable
    {
        public void Dispose() => throw new IOException("flush failed on dispose");
    }

    public sealed class UsesBrokenJob(BrokenOnDispose dependency) : IJob
    {
        public Task RunAsync(JobContext context, CancellationToken cancellationToken) => Task.FromResult(dependency);
    }

    [Fact]
    public async Task AbandonedHandler_KeepsItsPlace_SoOverlapSkipStartsNothingBesideIt_UntilItEnds()
    {
        // Arrange: every second, Overlap=Skip, a handler that ignores its 1 s timeout for 4 s
        var log = new ExecutionLog();
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<DeafJob>("deaf"),
            configure: o => o.AbandonGrace = TimeSpan.FromSeconds(1), services: s => s.AddSingleton(log));
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "deaf"), ("Cron", "* * * * * *"), ("TimeoutSeconds", 1));

        // Act: tick for 7 s
        var until = DateTime.UtcNow.AddSeconds(7);
        while (DateTime.UtcNow < until)
        {
            await harness.Dispatcher.TickAsync();
            await Task.Delay(250);
        }

        await Task.Delay(TimeSpan.FromSeconds(4.5)); // the last handler ends and is released

        // Assert: no two executions overlapped; the first is recorded TimedOut and its real end is noted
        var executions = log.Executions.OrderBy(e => e.Started).ToList();
        Assert.True(executions.Count >= 1);
        Assert.All(executions.Zip(executions.Skip(1)), pair => Assert.True(pair.Second.Started >= pair.First.Ended, $"{pair.Second.Started:O} started before {pair.First.Ended:O} ended"));
        var runs = await harness.States.ReadRunsAsync(Key);
        Assert.Contains(runs, r => r.Status == RunStatus.TimedOut && r.ErrorMessage!.Contains("keeps its place", StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Status == RunStatus.Skipped);
        var row = await harness.Tables.State.GetEntityAsync<Azure.Data.Tables.TableEntity>((await harness.StateRowAsync(Key)).PartitionKey, runs.First(r => r.Status == RunStatus.TimedOut).RowKey);
        Assert.NotNull(row.Value.GetString("HandlerEndedAt"));
        Assert.DoesNotContain((await harness.States.GetAsync(Key))!.State.InFlight, r => r.Abandoned);
    }

    [Fact]
    public async Task DisposalFailure_BecomesTheRunsOutcome()
    {
        // Arrange
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<UsesBrokenJob>("broken"),
            services: s => s.AddScoped<BrokenOnDispose>());
        await harness.SchedulesTable.PutRawAsync(Key.Id, ("Job", "broken"), ("RunAt", DateTimeOffset.UtcNow));

        // Act
        var tick = await harness.Dispatcher.TickAsync();

        // Assert
        var run = Assert.Single(await harness.States.ReadRunsAsync(Key));
        Assert.Equal((RunStatus.Failed, "IOException"), (run.Status, run.ErrorType));
        Assert.Contains("the run ended Succeeded, but disposing what it opened failed: IOException: flush failed on dispose", run.ErrorMessage);
        Assert.Equal(1, tick.Failed);
    }
}
