using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Testing;

namespace Scheduler.Storage.Tests.Dispatch;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class FuzzedEntryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task GeneratedRawEntries_NeverStallTheDispatcher_AndEachBadOneIsMarkedWithAMessage()
    {
        // Arrange: generated entries written straight into the Schedules table, plus one good schedule every second
        var recorder = new RunRecorder();
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            services: s => s.AddSingleton(recorder));
        var random = new Random(424242);
        var written = new List<ScheduleKey>();
        for (var i = 0; i < 300; i++)
        {
            var entity = new TableEntity("default", $"fuzz-{i:D3}");
            foreach (var (name, value) in DefinitionGenerator.Entry(random, "record").Where(c => c.Value is not null && c.Key.Trim().Length > 0 && c.Key == c.Key.Trim()))
            {
                entity[name] = value;
            }

            try
            {
                await harness.SchedulesTable.UpsertEntityAsync(entity, TableUpdateMode.Replace);
                written.Add(new ScheduleKey("default", entity.RowKey));
            }
            catch (Exception ex) when (ex is RequestFailedException or ArgumentException)
            {
                // The SDK or the service refused the value (NaN, too large, not encodable): no table can hold it.
            }
        }

        await harness.SchedulesTable.PutRawAsync("good", ("Job", "record"), ("Cron", "* * * * * *"));
        var good = new ScheduleKey("default", "good");

        // Act
        var reports = new List<Scheduler.Dispatch.TickReport>();
        for (var i = 0; i < 3; i++)
        {
            reports.Add(await harness.Dispatcher.TickAsync());
            await Task.Delay(1000);
        }

        // Assert
        Assert.True(written.Count >= 200, $"only {written.Count} of 300 generated entries were stored");
        Assert.All(reports, r => Assert.Empty(r.Errors));
        var invalid = 0;
        foreach (var key in written)
        {
            var state = (await harness.States.GetAsync(key))?.State;
            Assert.NotNull(state);
            if (state.Status == ScheduleStatus.Invalid)
            {
                Assert.False(string.IsNullOrWhiteSpace(state.Error), key.Id);
                invalid++;
            }
        }

        Assert.True(invalid >= 100, $"{invalid} invalid of {written.Count}");
        Assert.True((await harness.States.ReadRunsAsync(good)).Any(r => r.Status == Scheduler.Runs.RunStatus.Succeeded), "the good schedule kept firing");
    }
}
