using Scheduler.Functions.Dashboard;
using Scheduler.Schedules;

namespace Scheduler.Functions.Tests;

public sealed class DashboardPagesTests
{
    [Fact]
    public void Diff_NamesEachChangedColumn_AndEscapesTheValues()
    {
        var before = ColumnSnapshot.Serialize(new Dictionary<string, object?> { ["Interval"] = "1h", ["Job"] = "heartbeat", ["Description"] = "<b>old</b>" });
        var after = ColumnSnapshot.Serialize(new Dictionary<string, object?> { ["Interval"] = "2h", ["Job"] = "heartbeat", ["Cron"] = "0 * * * *" });

        var diff = DashboardPages.Diff(before, after);

        Assert.Equal("Cron: <ins>0 * * * *</ins><br>Description: <del>&lt;b&gt;old&lt;/b&gt;</del><br>Interval: <del>1h</del> → <ins>2h</ins>", diff);
    }

    [Fact]
    public void AHostileScheduleId_IsEscapedInTextAndInLinks()
    {
        var page = new ListPage([new ListRow(new ScheduleKey("default", "<script>alert(1)</script>\"x"), "heartbeat", "every hour", "UTC", NodaTime.DateTimeZone.Utc, "Active", false, null, null, null, null)], null);

        var html = DashboardPages.List(page, null, null);

        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;x", html);
        Assert.Contains("href=\"/dashboard/schedules/default/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22x\"", html);
    }
}
