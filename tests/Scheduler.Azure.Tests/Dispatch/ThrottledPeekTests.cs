using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Dispatch;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// A precise-firing invocation whose reads between ticks, or whose ticks' own due reads, meet Azure's 503 ServerBusy
/// looks again after a poll and goes on running what falls due, instead of ending and leaving the rest of its window to
/// the next timer. Real time.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class ThrottledPeekTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData(8)] // the peeks for the earliest wake between ticks
    [InlineData(1000)] // the ticks' own due reads
    public async Task AnInvocationWhoseReadsAreThrottled_LooksAgainAfterAPoll_AndRunsEverySecondOfItsWindow(int pageOf)
    {
        // Arrange: an every-second schedule; storage answers 503 to the first three due-index reads of pages of pageOf rows
        var busy = new ServerBusyReads(3, pageOf);
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            services: s => s.AddSingleton<RunRecorder>().AddSingleton(_ =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(busy, HttpPipelinePosition.PerCall);
                return new TableServiceClient(azurite.ConnectionString, options);
            }));
        var key = new ScheduleKey("default", "every-second");
        await harness.SchedulesTable.PutRawAsync(key.Id, ("Job", "record"), ("Cron", "* * * * * *"));
        await harness.Reconciler.ReconcileAsync(default);
        var start = DateTimeOffset.UtcNow;
        busy.Armed = true;

        // Act: one invocation of 10 s
        var reports = await harness.Services.GetRequiredService<TickDriver>().RunInvocationAsync(start.AddSeconds(10), default);

        // Assert: the 503s were met, and the invocation went on ticking to its window's end
        Assert.Equal(3, busy.Answered);
        var runs = (await harness.States.ReadRunsAsync(key)).Where(r => r.Status == RunStatus.Succeeded).ToList();
        Assert.Contains(runs, r => r.Due >= start.AddSeconds(8));
        Assert.True(reports.Count >= 4, $"{reports.Count} ticks: the invocation ended early");
    }

    /// <summary>Answers 503 ServerBusy, as Azure does over a partition's target, to the first due-index queries of pages of <paramref name="pageOf"/> rows (8: peeks; 1,000: a tick's due read).</summary>
    private sealed class ServerBusyReads(int count, int pageOf) : AsyncPipelinePolicy
    {
        private int _answered;

        public bool Armed { get; set; }

        public int Answered => Math.Min(count, Volatile.Read(ref _answered));

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var uri = Uri.UnescapeDataString(message.Request.Uri.ToUri().ToString());
            if (Armed && message.Request.Method == RequestMethod.Get && uri.Contains("ScheduleDue", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(uri, $@"\$top={pageOf}(&|$)")
                && Interlocked.Increment(ref _answered) <= count)
            {
                throw new Azure.RequestFailedException(503, "The server is busy.", "ServerBusy", null);
            }

            await ProcessNextAsync(message, pipeline);
        }
    }
}
