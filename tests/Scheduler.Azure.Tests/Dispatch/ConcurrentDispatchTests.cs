using Microsoft.Extensions.DependencyInjection;
using Scheduler.Dispatch;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Jobs;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class ConcurrentDispatchTests(AzuriteFixture azurite, Xunit.Abstractions.ITestOutputHelper log)
{
    private const int Schedules = 60;

    [Fact]
    public async Task ThreeDispatchers_RunEveryDueOccurrenceExactlyOnce()
    {
        // Arrange: 60 schedules firing every second for 7 seconds, three dispatchers over the same tables
        var prefix = SchedulerHarness.NewPrefix();
        var recorder = new RunRecorder();
        var dispatchers = new List<SchedulerHarness>();
        for (var i = 1; i <= 3; i++)
        {
            dispatchers.Add(await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"),
                services: s => s.AddSingleton(recorder), instanceId: $"dispatcher-{i}"));
        }

        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddSeconds(4);
        var end = start.AddSeconds(6);
        for (var s = 0; s < Schedules; s++)
        {
            await dispatchers[0].SchedulesTable.PutRawAsync($"s{s:D3}", ("Job", "record"), ("Cron", "* * * * * *"), ("Overlap", "BufferAll"),
                ("StartAt", start), ("EndAt", end));
        }

        // Act: every dispatcher ticks on its own loop until well after the last occurrence
        var reports = new System.Collections.Concurrent.ConcurrentBag<TickReport>();
        var stopAt = end.AddSeconds(6);
        await Task.WhenAll(dispatchers.Select(d => Task.Run(async () =>
        {
            while (DateTimeOffset.UtcNow < stopAt)
            {
                reports.Add(await d.Dispatcher.TickAsync());
                await Task.Delay(150);
            }
        })));

        // Assert: by the ledger, each of the 7 occurrences of each schedule ran exactly once, first time
        var expectedDue = Enumerable.Range(0, 7).Select(i => start.AddSeconds(i)).ToList();
        var instances = new HashSet<string>();
        for (var s = 0; s < Schedules; s++)
        {
            var key = new ScheduleKey("default", $"s{s:D3}");
            var runs = await dispatchers[0].States.ReadRunsAsync(key);
            Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
            Assert.Equal(expectedDue, runs.Select(r => r.Due).Order().ToList());
            Assert.All(runs, r => Assert.Equal(1, r.Attempt));
            foreach (var due in expectedDue)
            {
                Assert.Equal(1, recorder.CountOf(IdempotencyKeys.For(key, due)));
            }

            instances.UnionWith(runs.Select(r => r.Instance!));
        }

        Assert.Equal(Schedules * 7, recorder.Runs.Count);
        var byInstance = new Dictionary<string, int>();
        for (var s = 0; s < Schedules; s++)
        {
            foreach (var run in await dispatchers[0].States.ReadRunsAsync(new ScheduleKey("default", $"s{s:D3}")))
            {
                byInstance[run.Instance!] = byInstance.GetValueOrDefault(run.Instance!) + 1;
            }
        }

        log.WriteLine($"{recorder.Runs.Count} runs over {reports.Count} ticks; by instance: {string.Join(", ", byInstance.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))}; " +
                      $"conflicts (412 on claim): {reports.Sum(r => r.Conflicts)}; storage requests: {reports.Sum(r => r.StorageRequests)}; max tick: {reports.Max(r => r.Duration).TotalMilliseconds:0} ms");
        Assert.True(instances.Count >= 2, $"only {string.Join(",", instances)} ran anything");
        Assert.All(reports, r => Assert.Empty(r.Errors));

        foreach (var d in dispatchers)
        {
            await d.DisposeAsync();
        }
    }
}
