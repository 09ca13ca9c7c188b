namespace Scheduler.Functions.Dashboard;

/// <summary>Settings under <c>Scheduler:Dashboard</c>.</summary>
internal sealed class DashboardOptions
{
    public const string Section = "Scheduler:Dashboard";

    /// <summary>Pages only: every action is refused and no action is offered.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Standalone host only: where it serves the dashboard (loopback addresses only), e.g. http://127.0.0.1:7071.
    /// Empty: no dashboard. Under the Functions host the host serves it at /dashboard.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The app role that may see the pages (App Service Authentication with Microsoft Entra ID).</summary>
    public string ReaderRole { get; set; } = "Scheduler.Reader";

    /// <summary>The app role that may act: pause, resume, run now, backfill, edit, add, remove. It may see as well.</summary>
    public string OperatorRole { get; set; } = "Scheduler.Operator";

    /// <summary>Schedules per page of the list.</summary>
    public int PageSize { get; set; } = 50;
}
