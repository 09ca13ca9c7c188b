using System.Globalization;
using Azure;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduler.Schedules;

namespace Scheduler.Functions.Dashboard;

/// <summary>
/// Every dashboard request, from the Functions host's HTTP trigger and from the standalone host alike: who asks, what
/// they may do, which page or action, and the answer written to the response.
/// </summary>
internal sealed class DashboardEndpoint(
    DashboardReader reader, DashboardActions actions, IAntiforgery antiforgery, IOptions<DashboardOptions> settings, ILogger<DashboardEndpoint> logger)
{
    public const string TokenField = "__RequestVerificationToken";
    private const int DefaultSettleSeconds = 120;

    private DashboardOptions Options => settings.Value;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var user = DashboardAccess.Resolve(Options, context.Connection.RemoteIpAddress, request.Headers["X-Forwarded-For"].ToString(),
            Header(request, DashboardAccess.PrincipalHeader), Header(request, DashboardAccess.PrincipalNameHeader), Environment.GetEnvironmentVariable);
        if (user.Refusal is { } refusal)
        {
            await WriteAsync(context, 403, Bare("Not allowed", refusal));
            return;
        }

        var path = (request.Path.Value ?? "").TrimEnd('/');
        string[] segments = path.Length <= Html.Base.Length ? [] : path[(Html.Base.Length + 1)..].Split('/').Select(Uri.UnescapeDataString).ToArray();
        var cancellation = context.RequestAborted;
        try
        {
            if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            {
                await GetAsync(context, user, segments, cancellation);
            }
            else if (HttpMethods.IsPost(request.Method))
            {
                await PostAsync(context, user, segments, cancellation);
            }
            else
            {
                await WriteAsync(context, 405, Bare("Not allowed", $"the dashboard answers GET and POST, not {request.Method}"));
            }
        }
        catch (RequestFailedException ex)
        {
            logger.LogWarning(ex, "Dashboard: storage refused {Path}", path);
            await WriteAsync(context, 503, Html.Page("Storage unavailable", user, Options.ReadOnly, "",
                error: $"the storage account answered {ex.Status} ({ex.ErrorCode ?? "no code"}): {FirstLine(ex.Message)}. Nothing was changed by this request; try again"));
        }
    }

    private async Task GetAsync(HttpContext context, DashboardUser user, string[] segments, CancellationToken cancellation)
    {
        var query = context.Request.Query;
        var token = CanAct(user) ? antiforgery.GetAndStoreTokens(context).RequestToken ?? "" : "";
        var note = Nonempty(query["note"]);
        switch (segments)
        {
            case []:
                await WriteAsync(context, 200, Html.Page("Overview", user, Options.ReadOnly, DashboardPages.Overview(await reader.OverviewAsync(cancellation), reader.Now), note));
                return;
            case ["schedules"]:
                var search = Nonempty(query["q"]);
                var continuation = Nonempty(query["page"]);
                var page = await reader.ListAsync(search, continuation, Options.PageSize, cancellation);
                await WriteAsync(context, 200, Html.Page("Schedules", user, Options.ReadOnly, DashboardPages.List(page, search, continuation), note));
                return;
            case ["schedules", var group, var id]:
                await WriteDetailAsync(context, user, new ScheduleKey(group, id), token, 200, note, null, cancellation);
                return;
            case ["new"] when CanAct(user):
                var jobs = await reader.JobsAsync(cancellation);
                await WriteAsync(context, 200, Html.Page("Add a schedule", user, Options.ReadOnly, DashboardPages.NewSchedule(jobs, Nonempty(query["job"]), token), note));
                return;
            case ["audit"]:
                await WriteAsync(context, 200, Html.Page("Audit", user, Options.ReadOnly, await AuditBodyAsync(context.Request.Query, cancellation)));
                return;
            default:
                await WriteAsync(context, 404, Html.Page("Not found", user, Options.ReadOnly, $"<p><a href=\"{Html.Base}\">Overview</a></p>", error: "there is no such dashboard page"));
                return;
        }
    }

    private async Task PostAsync(HttpContext context, DashboardUser user, string[] segments, CancellationToken cancellation)
    {
        if (!CanAct(user))
        {
            var why = Options.ReadOnly
                ? "the dashboard is read-only (Scheduler:Dashboard:ReadOnly); change schedules with the CLI or the table, or turn the setting off"
                : $"{user.Name} may look but not act: acting needs app role {Options.OperatorRole}";
            await WriteAsync(context, 403, Html.Page("Not allowed", user, Options.ReadOnly, "", error: why));
            return;
        }

        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            await WriteAsync(context, 400, Html.Page("Form expired", user, Options.ReadOnly, $"<p><a href=\"{Html.Base}\">Overview</a></p>",
                error: "the form did not come from this dashboard or has expired; reload the page and try again. Nothing was changed"));
            return;
        }

        var form = (await context.Request.ReadFormAsync(cancellation)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var token = antiforgery.GetAndStoreTokens(context).RequestToken ?? "";
        switch (segments)
        {
            case ["new"]:
                var added = await actions.AddAsync(form, cancellation);
                if (added.Error is not null)
                {
                    var jobs = await reader.JobsAsync(cancellation);
                    await WriteAsync(context, added.Status, Html.Page("Add a schedule", user, Options.ReadOnly, DashboardPages.NewSchedule(jobs, form.GetValueOrDefault("Job") ?? "", token, form), error: added.Error));
                    return;
                }

                Redirect(context, added.RedirectTo!, added.Note);
                return;
            case ["schedules", var group, var id, var action]:
                var key = new ScheduleKey(group, id);
                var outcome = await actions.RunAsync(key, action, form, cancellation);
                if (outcome.Error is not null)
                {
                    await WriteDetailAsync(context, user, key, token, outcome.Status, null, outcome.Error, cancellation);
                    return;
                }

                Redirect(context, outcome.RedirectTo ?? Html.Url("schedules", group, id), outcome.Note);
                return;
            default:
                await WriteAsync(context, 404, Html.Page("Not found", user, Options.ReadOnly, "", error: "there is no such dashboard action"));
                return;
        }
    }

    private async Task WriteDetailAsync(HttpContext context, DashboardUser user, ScheduleKey key, string token, int status, string? note, string? error, CancellationToken cancellation)
    {
        var detail = await reader.DetailAsync(key, cancellation);
        if (detail.Columns is null && detail.State is null)
        {
            await WriteAsync(context, 404, Html.Page(key.ToString(), user, Options.ReadOnly, $"<p><a href=\"{Html.Base}/schedules\">All schedules</a></p>", error: error ?? $"there is no schedule {key}"));
            return;
        }

        await WriteAsync(context, status, Html.Page(key.ToString(), user, Options.ReadOnly, DashboardPages.Detail(detail, CanAct(user), token), note, error));
    }

    private async Task<string> AuditBodyAsync(IQueryCollection query, CancellationToken cancellation)
    {
        var now = reader.Now;
        var settle = int.TryParse(query["settle"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : DefaultSettleSeconds;
        var fromText = Nonempty(query["from"]);
        var toText = Nonempty(query["to"]);
        var form = DashboardPages.AuditForm(fromText ?? Html.Time(now.AddHours(-1)), toText ?? Html.Time(now), settle);
        if (fromText is null)
        {
            return form + "<p>Every occurrence each schedule should have had in the window, and its fate by the ledger, across edits, pauses and removals.</p>";
        }

        if (!Html.TryInstant(fromText, out var from) || !Html.TryInstant(toText ?? Html.Time(now), out var to) || to < from)
        {
            return form + "<p class=\"error\">give the window as two dates and times in order, such as 2026-11-26T09:00:00Z and 2026-11-26T10:00:00Z</p>";
        }

        var settledBefore = now.AddSeconds(-settle);
        IReadOnlyList<Scheduler.Admin.ScheduleAudit> audits = settledBefore <= from ? [] : await reader.AuditAsync(from, to, settledBefore, cancellation);
        return form + DashboardPages.AuditResults(audits, from, to, settledBefore);
    }

    private bool CanAct(DashboardUser user) => user.CanAct && !Options.ReadOnly;

    private static void Redirect(HttpContext context, string to, string? note)
    {
        context.Response.StatusCode = 303;
        context.Response.Headers.Location = Html.Query(to, ("note", note));
        context.Response.Headers.CacheControl = "no-store";
    }

    private static async Task WriteAsync(HttpContext context, int status, string html)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers["Referrer-Policy"] = "same-origin";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.WriteAsync(html, context.RequestAborted);
        }
    }

    private static string Bare(string title, string message) =>
        $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{Html.E(title)} · Scheduler</title></head><body><h1>{Html.E(title)}</h1><p role=\"alert\">{Html.E(message)}</p></body></html>";

    private static string? Header(HttpRequest request, string name) => Nonempty(request.Headers[name]);

    private static string? Nonempty(Microsoft.Extensions.Primitives.StringValues value) => string.IsNullOrWhiteSpace(value) ? null : value.ToString();


    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
