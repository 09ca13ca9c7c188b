using Azure.Data.Tables;
using Scheduler.Admin;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Functions.Dashboard;
using Scheduler.Functions.Tests.Fixtures;
using Scheduler.Schedules;

namespace Scheduler.Functions.Tests;

/// <summary>What each page costs in storage requests: paging keeps the list and a schedule's page independent of the table's size.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class DashboardCostTests(AzuriteFixture azurite)
{
    private const int Schedules = 1_200;

    [Fact]
    public async Task AListPage_ReadsOnePageOfEntriesAndTheirStates_AndFollowsOnFromItsToken()
    {
        await using var app = await AppHarness.StartAsync(azurite);
        await WriteEntriesAsync(app);
        var reader = Reader(app);

        var (first, firstCost) = await CostAsync(app, () => reader.ListAsync(null, null, 50, default));
        var (second, secondCost) = await CostAsync(app, () => reader.ListAsync(null, first.Continuation, 50, default));

        Assert.Equal((50, 51L), (first.Rows.Count, firstCost)); // one query, one state read per row shown
        Assert.Equal((50, 51L), (second.Rows.Count, secondCost));
        Assert.Equal("s00050", second.Rows[0].Key.Id);
    }

    [Fact]
    public async Task ASearch_ReadsOnlyTheMatchingPage()
    {
        await using var app = await AppHarness.StartAsync(azurite);
        await WriteEntriesAsync(app);

        var (page, cost) = await CostAsync(app, () => Reader(app).ListAsync("s0011", null, 50, default));

        Assert.Equal(Enumerable.Range(110, 10).Select(i => $"s{i:D5}"), page.Rows.Select(r => r.Key.Id));
        Assert.Equal(11L, cost);
        Assert.Null(page.Continuation);
    }

    [Fact]
    public async Task ASchedulesPage_CostsTheSameWhateverTheTableHolds()
    {
        await using var app = await AppHarness.StartAsync(azurite);
        await WriteEntriesAsync(app);

        var (detail, cost) = await CostAsync(app, () => Reader(app).DetailAsync(new ScheduleKey("default", "s00007"), default));

        Assert.Equal("daily at 03:00", ScheduleDescription.Describe(detail.Definition!.Trigger, detail.Definition.TimeZone));
        Assert.Equal(10, detail.Next.Count);
        Assert.Equal(4L, cost); // the entry, the state, the ledger, the edits
    }

    private static DashboardReader Reader(AppHarness app) => new(
        app.Tables, app.Get<DefinitionStore>(), app.States, app.Get<JobCatalogStore>(), app.Get<LedgerAudit>(), app.Get<ValidationContext>(), TimeProvider.System);

    private static async Task<(T Result, long Requests)> CostAsync<T>(AppHarness app, Func<Task<T>> read)
    {
        var counter = app.Get<StorageRequestCounter>();
        var before = counter.Total;
        var result = await read();
        return (result, counter.Total - before);
    }

    /// <summary>Entries as a bulk import writes them (batches of 100), not yet applied by a dispatcher.</summary>
    private static async Task WriteEntriesAsync(AppHarness app)
    {
        foreach (var batch in Enumerable.Range(0, Schedules).Chunk(100))
        {
            await app.Tables.Schedules.SubmitTransactionAsync(batch.Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(ScheduleKey.DefaultGroup, $"s{i:D5}") { ["Job"] = "heartbeat", ["Cron"] = "0 3 * * *", ["Args"] = "{\"table\":\"Beats\"}" })));
        }
    }
}
