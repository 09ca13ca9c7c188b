using System.Net;
using System.Text.RegularExpressions;
using Scheduler.Admin;
using Scheduler.Storage;
using Scheduler.FunctionsHost.Tests.Fixtures;
using Scheduler.Schedules;

namespace Scheduler.FunctionsHost.Tests;

/// <summary>The dashboard's HTTP function on the real host: pages, and an action with its anti-forgery token and the entry's ETag.</summary>
[Collection(HostTierCollection.Name)]
[Trait("Category", "FunctionsHost")]
public sealed partial class DashboardTests(HostTierFixture tier)
{
    [SkippableFact]
    public async Task TheHostServesTheDashboardAtSlashDashboard_AndAPauseFromItsFormIsWritten()
    {
        Skip.If(tier.SkipReason is not null, tier.SkipReason);

        // Arrange
        await using var app = await Deployment.CreateAsync(tier);
        var key = new ScheduleKey("default", "nightly");
        await app.Admin.AddOrUpdateAsync(key, new ScheduleSpec { Job = "heartbeat", Cron = "0 0 3 * * *", Args = new { table = "beats" + app.Prefix } });
        var host = await app.StartHostAsync("web");
        // The host logs "Job host started" before its web server listens.
        Assert.True(await host.WaitForLineAsync(l => l.StartsWith("Now listening on:", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), host.Tail());
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{host.Port}"),
        };

        // Act
        var overview = await client.GetAsync("/dashboard");
        var page = await client.GetStringAsync("/dashboard/schedules/default/nightly");
        var token = Field(page, "__RequestVerificationToken");
        var etag = Field(page, "etag");
        var pause = await client.PostAsync("/dashboard/schedules/default/nightly/pause", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["etag"] = etag, ["note"] = "from the real host",
        }));

        // Assert
        Assert.True(overview.StatusCode == HttpStatusCode.OK, $"{overview.StatusCode}: {await overview.Content.ReadAsStringAsync()}\n{host.Tail()}");
        Assert.Contains("<h1>Overview</h1>", await overview.Content.ReadAsStringAsync());
        Assert.Equal("text/html; charset=utf-8", overview.Content.Headers.ContentType?.ToString());
        Assert.True(pause.StatusCode == HttpStatusCode.SeeOther, $"{pause.StatusCode}: {await pause.Content.ReadAsStringAsync()}");
        Assert.StartsWith("/dashboard/schedules/default/nightly?note=", pause.Headers.Location?.OriginalString);
        var columns = DefinitionStore.ColumnsOf((await app.Get<DefinitionStore>().GetAsync(key))!);
        Assert.Equal((false, "from the real host"), (columns[ScheduleColumns.Enabled], columns[ScheduleColumns.PauseNote]));
    }

    private static string Field(string html, string name)
    {
        var match = Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"");
        Assert.True(match.Success, $"no field {name} in the page:\n{html}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }
}
