using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Telemetry;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Telemetry;

/// <summary>
/// The scheduler's spans and metrics, exported by the OpenTelemetry SDK to in-memory exporters over real ticks against
/// Azurite. (The Azurite collection runs one test at a time, so the process-wide listeners see this test's scheduler only.)
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class TelemetryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Tick_NestsClaimAndRunSpans_AndMetricsMoveWithOutcomesLatenessAndInvalidEntries()
    {
        // Arrange: one good schedule due now, one that fails (one attempt), one written 20 s after its RunAt (late,
        // within its grace), and one invalid entry
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(SchedulerTelemetry.ActivitySourceName).AddInMemoryExporter(spans).Build();
        using var metering = Sdk.CreateMeterProviderBuilder().AddMeter(SchedulerTelemetry.MeterName).AddInMemoryExporter(metrics).Build();
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(),
            jobs => jobs.AddJob<RecordingJob>("record").AddJob<FailingJob>("fail"), services: s => s.AddSingleton(new RunRecorder()));
        var now = DateTimeOffset.UtcNow;
        await harness.SchedulesTable.PutRawAsync("good", ("Job", "record"), ("RunAt", now));
        await harness.SchedulesTable.PutRawAsync("bad", ("Job", "fail"), ("RunAt", now), ("MaxAttempts", 1));
        await harness.SchedulesTable.PutRawAsync("late", ("Job", "record"), ("RunAt", now.AddSeconds(-20)), ("MisfireGraceSeconds", 120));
        await harness.SchedulesTable.PutRawAsync("typo", ("Job", "record"), ("Cron", "0 */5 * *"));

        // Act
        var report = await harness.Dispatcher.TickAsync();
        tracing.ForceFlush();
        metering.ForceFlush();

        // Assert: metrics
        Assert.Equal(3, report.Claimed);
        Assert.Equal(2, Sum("scheduler.runs", metrics, ("scheduler.run.outcome", "succeeded")));
        Assert.Equal(1, Sum("scheduler.runs", metrics, ("scheduler.run.outcome", "failed")));
        Assert.Equal(1, Sum("scheduler.runs", metrics, ("scheduler.job", "fail")));
        var lateness = Histogram("scheduler.run.start_lateness", metrics);
        Assert.Equal(3, lateness.Count);
        Assert.InRange(lateness.Max, 19, 60); // the late one; the others started within seconds
        Assert.Equal(3, Histogram("scheduler.run.duration", metrics).Count);
        Assert.Equal(1, Histogram("scheduler.tick.duration", metrics).Count);
        Assert.True(Histogram("scheduler.tick.storage_requests", metrics).Sum >= 6);
        Assert.Equal(1, Gauge("scheduler.schedules.invalid", metrics));
        Assert.Equal(3, Gauge("scheduler.due.backlog", metrics));

        // Assert: spans (tick > claim > run), each run with its schedule, job, attempt, outcome and instance
        var tick = Assert.Single(spans, s => s.OperationName == "scheduler.tick");
        Assert.Equal(harness.Dispatcher.InstanceId, tick.GetTagItem("scheduler.instance"));
        var runs = spans.Where(s => s.OperationName == "scheduler.run").ToList();
        Assert.Equal(3, runs.Count);
        foreach (var run in runs)
        {
            var claim = Assert.Single(spans, s => s.SpanId == run.ParentSpanId);
            Assert.Equal("scheduler.claim", claim.OperationName);
            Assert.Equal(tick.SpanId, claim.ParentSpanId);
            Assert.Equal(tick.TraceId, run.TraceId);
            Assert.Equal(claim.GetTagItem("scheduler.schedule.id"), run.GetTagItem("scheduler.schedule.id"));
            Assert.Equal(1, run.GetTagItem("scheduler.run.attempt"));
        }

        var failed = Assert.Single(runs, r => (string?)r.GetTagItem("scheduler.job") == "fail");
        Assert.Equal(("failed", ActivityStatusCode.Error), (failed.GetTagItem("scheduler.run.outcome"), failed.Status));
        Assert.Contains("boom on attempt 1", failed.StatusDescription);
    }

    [Fact]
    public async Task QueueMode_CarriesTheClaimsTraceContext_SoTheRunJoinsTheTicksTrace()
    {
        // Arrange
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(SchedulerTelemetry.ActivitySourceName).AddInMemoryExporter(spans).Build();
        var prefix = SchedulerHarness.NewPrefix();
        await using var harness = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => { o.Dispatch = DispatchMode.Queue; o.Queue = prefix + "-occurrences"; }, services: s => s.AddSingleton(new RunRecorder()));
        await harness.SchedulesTable.PutRawAsync("queued", ("Job", "record"), ("RunAt", DateTimeOffset.UtcNow));
        await harness.Dispatcher.TickAsync();
        var queue = harness.Services.GetRequiredService<OccurrenceQueue>();
        var message = OccurrenceMessage.Parse((await queue.Client.ReceiveMessageAsync()).Value.MessageText);

        // Act: RunOccurrence's work, outside any span (as a queue trigger starts it)
        Activity.Current = null;
        var outcome = await harness.Services.GetRequiredService<OccurrenceExecutor>().ExecuteAsync(message, default);
        tracing.ForceFlush();

        // Assert
        Assert.Equal(Scheduler.Runs.RunStatus.Succeeded, outcome?.Status);
        var claim = Assert.Single(spans, s => s.OperationName == "scheduler.claim");
        Assert.Equal(claim.Id, message.TraceParent);
        var run = Assert.Single(spans, s => s.OperationName == "scheduler.run");
        Assert.Equal((claim.TraceId, claim.SpanId), (run.TraceId, run.ParentSpanId));
        Assert.Equal(new ScheduleKey("default", "queued").Value, run.GetTagItem("scheduler.schedule.id"));
    }

    [Fact]
    public void AlertRules_QueryOnlyMetricsTheSchedulerEmits()
    {
        // Arrange: the instruments one process creates, and the metric names infra/app/alerts.bicep queries
        var published = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == SchedulerTelemetry.MeterName)
            {
                lock (published)
                {
                    published.Add(instrument.Name);
                }
            }
        };
        using var metrics = new SchedulerMetrics();
        listener.Start();
        var bicep = File.ReadAllText(Path.Combine(AzuriteFixture.RepositoryRoot(), "infra", "app", "alerts.bicep"));

        // Act
        var queried = System.Text.RegularExpressions.Regex.Matches(bicep, "name == \"(scheduler\\.[a-z_.]+)\"").Select(m => m.Groups[1].Value).ToHashSet();

        // Assert
        Assert.Equal(5, queried.Count);
        Assert.Subset(published, queried);
    }

    private static Metric Latest(string name, List<Metric> metrics) => metrics.Last(m => m.Name == name);

    private static long Sum(string name, List<Metric> metrics, (string Key, string Value) tag)
    {
        long sum = 0;
        foreach (ref readonly var point in Latest(name, metrics).GetMetricPoints())
        {
            foreach (var pair in point.Tags)
            {
                if (pair.Key == tag.Key && Equals(pair.Value, tag.Value))
                {
                    sum += point.GetSumLong();
                }
            }
        }

        return sum;
    }

    private static (long Count, double Sum, double Max) Histogram(string name, List<Metric> metrics)
    {
        long count = 0;
        double sum = 0, max = double.MinValue;
        foreach (ref readonly var point in Latest(name, metrics).GetMetricPoints())
        {
            count += point.GetHistogramCount();
            sum += point.GetHistogramSum();
            if (point.TryGetHistogramMinMaxValues(out _, out var pointMax))
            {
                max = Math.Max(max, pointMax);
            }
        }

        return (count, sum, max);
    }

    private static long Gauge(string name, List<Metric> metrics)
    {
        foreach (ref readonly var point in Latest(name, metrics).GetMetricPoints())
        {
            return point.GetGaugeLastValueLong();
        }

        throw new InvalidOperationException($"{name} has no point");
    }
}
