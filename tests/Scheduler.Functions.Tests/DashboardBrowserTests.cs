using Microsoft.Playwright;
using Scheduler.Admin;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Functions.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Functions.Tests;

/// <summary>The dashboard in a real browser (Debian's Chromium, driven by Playwright) against the standalone host on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Browser")]
public sealed class DashboardBrowserTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Nightly = new("default", "nightly");

    [SkippableFact]
    public async Task Overview_ShowsSchedulesByStatus_AndAnInvalidEntrysFixItMessage()
    {
        await using var host = await StartWithNightlyAsync();
        await host.App.Tables.Schedules.PutRawAsync("typo", ("Job", "heartbeat"), ("Cron", "0 */5 * *"));
        await WaitForStateAsync(host, new ScheduleKey("default", "typo"), s => s.Status == ScheduleStatus.Invalid);

        var page = await host.OpenAsync();

        await Expect(page.Locator("main")).ToContainTextAsync("Invalid entries");
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "typo" })).ToContainTextAsync("has 4 fields");
        await Expect(page.Locator(".cards")).ToContainTextAsync("Active");
        await DashboardHost.ScreenshotAsync(page, "overview");
    }

    [SkippableFact]
    public async Task PauseWithANote_ThenResume_ChangeTheEntry_AndTheDispatcherHonoursThem()
    {
        await using var host = await StartWithNightlyAsync();

        var page = await host.OpenAsync("/schedules/default/nightly");
        await page.GetByLabel("pause note").FillAsync("maintenance window");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();

        await Expect(page.Locator(".note")).ToContainTextAsync("nightly paused");
        var paused = await Columns(host);
        Assert.Equal((false, "maintenance window"), (paused[ScheduleColumns.Enabled], paused[ScheduleColumns.PauseNote]));
        await WaitForStateAsync(host, Nightly, s => s.Status == ScheduleStatus.Paused);
        await page.ReloadAsync();
        await Expect(page.Locator("main")).ToContainTextAsync("none while paused");
        await DashboardHost.ScreenshotAsync(page, "schedule");

        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(page.Locator(".note")).ToContainTextAsync("nightly resumed");
        var resumed = await Columns(host);
        Assert.Equal(true, resumed[ScheduleColumns.Enabled]);
        Assert.False(resumed.ContainsKey(ScheduleColumns.PauseNote));
        await WaitForStateAsync(host, Nightly, s => s.Status == ScheduleStatus.Active);
    }

    [SkippableFact]
    public async Task RunNow_RunsOnce_AndTheSchedulePageShowsItsLedgerRow()
    {
        await using var host = await StartWithNightlyAsync();

        var page = await host.OpenAsync("/schedules/default/nightly");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run now" }).ClickAsync();
        await Expect(page.Locator(".note")).ToContainTextAsync("run requested");

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await host.App.States.ReadRunsAsync(Nightly)).Any(r => r.Status == RunStatus.Succeeded) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        await page.ReloadAsync();
        var ledger = page.Locator("table", new() { Has = page.GetByRole(AriaRole.Columnheader, new() { Name = "inputs read (ETags)" }) });
        await Expect(ledger.GetByRole(AriaRole.Row).Filter(new() { HasText = "Succeeded" })).ToHaveCountAsync(1);
        Assert.Single(await host.App.States.ReadRunsAsync(Nightly), r => r.Status == RunStatus.Succeeded);
    }

    [SkippableFact]
    public async Task TheAuditOfAWindow_ShowsEachSchedulesOccurrencesAndTheirFates()
    {
        await using var host = await StartAsync();
        var key = new ScheduleKey("default", "every-two");
        var from = DateTimeOffset.UtcNow;
        await host.App.Get<ScheduleAdmin>().AddOrUpdateAsync(key, new ScheduleSpec { Job = "heartbeat", Interval = TimeSpan.FromSeconds(2), Args = new { table = "beats" + host.App.Prefix } });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await host.App.States.ReadRunsAsync(key)).Count(r => r.Status == RunStatus.Succeeded) < 5 && DateTime.UtcNow < deadline) // 3 s settle leaves 2 or more to judge
        {
            await Task.Delay(250);
        }

        var page = await host.OpenAsync("/audit");
        await page.GetByLabel("From (UTC, ISO 8601)").FillAsync(from.AddSeconds(-5).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Settle seconds").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Audit" }).ClickAsync();

        var row = page.GetByRole(AriaRole.Row, new() { Name = "every-two" });
        await Expect(row).ToHaveCountAsync(1);
        var cells = await row.Locator("td").AllInnerTextsAsync();
        var headers = (await page.Locator("thead th").AllInnerTextsAsync()).ToList();
        Assert.True(int.Parse(cells[headers.IndexOf("RanOnce")], System.Globalization.CultureInfo.InvariantCulture) >= 2, string.Join(" | ", cells));
        Assert.Equal(("0", "0"), (cells[headers.IndexOf("Unaccounted")], cells[headers.IndexOf("RanMoreThanOnce")]));
        await Expect(page.Locator("main")).ToContainTextAsync("No occurrence unaccounted for or run twice.");
    }

    [SkippableFact]
    public async Task AnEditMadeElsewhereAfterThePageLoaded_IsShown_NotOverwritten()
    {
        await using var host = await StartWithNightlyAsync();
        var page = await host.OpenAsync("/schedules/default/nightly");

        var elsewhere = await Columns(host);
        elsewhere[ScheduleColumns.Description] = "changed in Storage Explorer";
        await host.App.Get<ScheduleAdmin>().PutAsync(Nightly, elsewhere);
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();

        await Expect(page.Locator(".error")).ToContainTextAsync("changed by someone else after this page was loaded; nothing was written");
        await Expect(page.Locator("main")).ToContainTextAsync("changed in Storage Explorer");
        var now = await Columns(host);
        Assert.Equal(("changed in Storage Explorer", (object?)true), (now[ScheduleColumns.Description], now[ScheduleColumns.Enabled]));
    }

    [SkippableFact]
    public async Task AReader_SeesButCannotAct_AndSomeoneWithNoRoleSeesNothing()
    {
        await using var host = await StartWithNightlyAsync();

        var reader = await host.OpenAsync("/schedules/default/nightly", "Scheduler.Reader");
        await Expect(reader.Locator("header")).ToContainTextAsync("dana@contoso.example · reader");
        await Expect(reader.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToHaveCountAsync(0);
        var form = reader.APIRequest.CreateFormData();
        form.Set("etag", "anything");
        var refused = await reader.APIRequest.PostAsync(host.Url + "/schedules/default/nightly/pause", new() { Form = form });
        Assert.Equal(403, refused.Status);
        Assert.Contains("may look but not act: acting needs app role Scheduler.Operator", await refused.TextAsync());
        Assert.Equal(true, (await Columns(host))[ScheduleColumns.Enabled]); // not paused

        var nobody = await host.OpenAsync("", "Some.Other.Role");
        await Expect(nobody.Locator("body")).ToContainTextAsync("has neither app role Scheduler.Reader");
    }

    [SkippableFact]
    public async Task AReadOnlyDashboard_OffersNoActions_AndRefusesThem()
    {
        await using var host = await StartWithNightlyAsync(("Scheduler:Dashboard:ReadOnly", "true"));

        var page = await host.OpenAsync("/schedules/default/nightly");
        await Expect(page.Locator("header")).ToContainTextAsync("read-only dashboard");
        await Expect(page.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        var refused = await page.APIRequest.PostAsync(host.Url + "/schedules/default/nightly/run", new() { Form = page.APIRequest.CreateFormData() });

        Assert.Equal(403, refused.Status);
        Assert.Contains("the dashboard is read-only (Scheduler:Dashboard:ReadOnly)", await refused.TextAsync());
    }

    [SkippableFact]
    public async Task AnActionWithoutTheFormsToken_IsRefused_AndChangesNothing()
    {
        await using var host = await StartWithNightlyAsync();
        var page = await host.OpenAsync("/schedules/default/nightly");

        var form = page.APIRequest.CreateFormData();
        form.Set("note", "forged");
        var refused = await page.APIRequest.PostAsync(host.Url + "/schedules/default/nightly/pause", new() { Form = form });

        Assert.Equal(400, refused.Status);
        Assert.Contains("did not come from this dashboard", await refused.TextAsync());
        Assert.Equal(true, (await Columns(host))[ScheduleColumns.Enabled]); // not paused
    }

    [SkippableFact]
    public async Task AddFromTheCatalog_ThenEdit_ShowsTheChangeInTheEditHistory()
    {
        await using var host = await StartAsync();
        var key = new ScheduleKey("default", "added-by-hand");

        var page = await host.OpenAsync("/new");
        await page.GetByRole(AriaRole.Link, new() { Name = "heartbeat" }).ClickAsync();
        await Expect(page.GetByLabel("Args")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"table\""));
        await page.GetByLabel("Id", new() { Exact = true }).FillAsync(key.Id);
        await page.GetByLabel("Interval").FillAsync("1h");
        await page.GetByLabel("Args").FillAsync($"{{\"table\":\"beats{host.App.Prefix}\"}}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add schedule" }).ClickAsync();
        await Expect(page.Locator(".note")).ToContainTextAsync("added added-by-hand");
        await WaitForStateAsync(host, key, s => s.Status == ScheduleStatus.Active);

        await page.ReloadAsync();
        await page.Locator("form.block").GetByLabel("Interval").FillAsync("2h");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator(".note")).ToContainTextAsync("saved");
        await WaitForStateAsync(host, key, s => s.Definition?.Contains("2h", StringComparison.Ordinal) == true);
        await page.ReloadAsync();

        await Expect(page.Locator("main")).ToContainTextAsync("Interval: 1h → 2h");
    }

    [SkippableFact]
    public async Task TheList_PagesAndSearches_WithoutReadingEveryEntry()
    {
        await using var host = await StartAsync(("Scheduler:Dashboard:PageSize", "20"));
        var admin = host.App.Get<ScheduleAdmin>();
        await Task.WhenAll(Enumerable.Range(0, 45).Select(i => admin.AddOrUpdateAsync(new ScheduleKey("default", $"bulk-{i:D3}"),
            new ScheduleSpec { Job = "heartbeat", Cron = "0 0 3 * * *", TimeZone = "Europe/Berlin", Args = new { table = "beats" + host.App.Prefix } })));
        foreach (var i in Enumerable.Range(0, 45))
        {
            await WaitForStateAsync(host, new ScheduleKey("default", $"bulk-{i:D3}"), s => s.Status == ScheduleStatus.Active);
        }

        var page = await host.OpenAsync("/schedules");
        var rows = page.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(20);
        await DashboardHost.ScreenshotAsync(page, "schedules");
        await page.GetByRole(AriaRole.Link, new() { Name = "next page" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(20);
        await Expect(rows.First).ToContainTextAsync("bulk-020");
        await page.GetByRole(AriaRole.Link, new() { Name = "next page" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(5);

        await page.GetByLabel("search").FillAsync("bulk-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(10);
        await Expect(rows.First).ToContainTextAsync("Europe/Berlin");
        await Expect(rows.First).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@" 03:00:00 \+0[12]:00")); // next due in the schedule's zone
    }

    /// <summary>The host (skipped where there is no browser), with schedule "nightly" added and applied.</summary>
    private async Task<DashboardHost> StartWithNightlyAsync(params (string Key, string Value)[] settings)
    {
        var host = await StartAsync(settings);
        await AddNightlyAsync(host);
        return host;
    }

    private Task<DashboardHost> StartAsync(params (string Key, string Value)[] settings)
    {
        Skip.If(DashboardHost.SkipReason() is not null, DashboardHost.SkipReason());
        return DashboardHost.StartAsync(azurite, settings);
    }

    private static async Task AddNightlyAsync(DashboardHost host)
    {
        await host.App.Get<ScheduleAdmin>().AddOrUpdateAsync(Nightly,
            new ScheduleSpec { Job = "heartbeat", Cron = "0 0 3 * * *", Args = new { table = "beats" + host.App.Prefix } });
        await WaitForStateAsync(host, Nightly, s => s.Status == ScheduleStatus.Active);
    }

    private static async Task<Dictionary<string, object?>> Columns(DashboardHost host) =>
        DefinitionStore.ColumnsOf((await host.App.Get<DefinitionStore>().GetAsync(Nightly))!);

    private static async Task WaitForStateAsync(DashboardHost host, ScheduleKey key, Func<ScheduleState, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await host.App.States.GetAsync(key) is { } state && done(state.State))
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{key} did not reach the expected state within 30 s; host output:\n{host.Output}");
    }
}
