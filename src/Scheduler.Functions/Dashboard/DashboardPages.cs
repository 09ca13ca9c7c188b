using System.Globalization;
using System.Text;
using Scheduler.Auditing;
using Scheduler.Admin;
using Scheduler.Storage;
using Scheduler.Schedules;
using static Scheduler.Functions.Dashboard.Html;

namespace Scheduler.Functions.Dashboard;

/// <summary>The pages' bodies: pure functions of what was read. Arguments named token are anti-forgery tokens for forms.</summary>
internal static class DashboardPages
{
    public static string Overview(OverviewData data, DateTimeOffset now)
    {
        var body = new StringBuilder();
        body.Append("<div class=\"cards\">").Append(Card("schedules", data.Total));
        foreach (var (status, count) in data.ByStatus.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            body.Append(Card(status, count));
        }

        body.Append("</div><h2>Invalid entries</h2>")
            .Append(Table(["schedule", "job", "what to fix"], data.Invalid.Select(s => Cells(Link(s.Key), E(s.Job), E(s.Error))), "none: every entry validates"))
            .Append($"<h2>Failed, timed out, missed or lost in the last {DashboardReader.RecentWindow.TotalHours:0} h (last outcome)</h2>")
            .Append(Table(["schedule", "job", "outcome", "finished", "error"],
                data.RecentProblems.Select(s => Cells(Link(s.Key), E(s.Job), Status(s.LastStatus?.ToString()), E(Time(s.LastFinishedAt)), E(s.LastError))), "none"))
            .Append("<h2>Runs in flight</h2>")
            .Append(Table(["schedule", "job", "runs"], data.InFlight.Select(s => Cells(Link(s.Key), E(s.Job), E(s.InFlight))), "none"))
            .Append($"<h2>Late: due over {DashboardReader.LateAfter.TotalMinutes:0} min ago and not started</h2>")
            .Append(Table(["schedule", "job", "due", "late by"],
                data.Late.Select(s => Cells(Link(s.Key), E(s.Job), E(Time(s.NextDue)), E(Duration(now - s.NextDue)))), "none: every active schedule is on time"));
        return body.ToString();
    }

    public static string List(ListPage page, string? search, string? continuation)
    {
        var body = new StringBuilder();
        body.Append($"<form method=\"get\" action=\"{Base}/schedules\" class=\"inline\"><input type=\"text\" name=\"q\" value=\"{E(search)}\" placeholder=\"id starts with\" aria-label=\"search\"><button type=\"submit\">Search</button></form>");
        body.Append(Table(["schedule", "job", "status", "schedule in words", "zone", "next due (zone)", "next due (UTC)", "last run", "error"],
            page.Rows.Select(r => Cells(
                Link(r.Key), E(r.Job), Status(r.Status), E(r.When), E(r.ZoneId),
                r.NextDue is { } n ? E(InZone(n, r.Zone)) : E(r.Paused ? "paused" : ""), E(Time(r.NextDue)),
                r.LastDue is { } l ? $"{E(Time(l))} {Status(r.LastStatus)}" : "", E(r.Error))
            ), search is null ? "no schedules yet" : $"no schedule id starts with \"{search}\""));
        var links = new List<string>();
        if (continuation is not null)
        {
            links.Add($"<a href=\"{E(Query(Base + "/schedules", ("q", search)))}\">first page</a>");
        }

        if (page.Continuation is not null)
        {
            links.Add($"<a href=\"{E(Query(Base + "/schedules", ("q", search), ("page", page.Continuation)))}\" rel=\"next\">next page</a>");
        }

        return body.Append("<p>").AppendJoin(" · ", links).Append("</p>").ToString();
    }

    public static string Detail(DetailData d, bool canAct, string token)
    {
        var zone = d.Definition?.TimeZone ?? NodaTime.DateTimeZone.Utc;
        var body = new StringBuilder();
        var status = d.State?.State.Status.ToString() ?? (d.Columns is null ? "Removed" : d.Errors.Count == 0 ? "New" : "Invalid");
        body.Append($"<p>Status {Status(status)}");
        if (d.Definition is { } def)
        {
            body.Append($" · {E(ScheduleDescription.Describe(def.Trigger, zone))} · zone {E(zone.Id)} · job <code>{E(def.Job)}</code>");
        }

        body.Append("</p>");
        if ((d.State?.State.Error ?? (d.Errors.Count > 0 ? string.Join("\n", d.Errors) : null)) is { } error)
        {
            body.Append($"<p class=\"error\">{E(error)}</p>");
        }

        if (canAct && d.Columns is not null)
        {
            body.Append(Actions(d, token));
        }

        body.Append("<h2>Definition</h2>").Append(Table(["column", "value"],
            (d.Columns ?? new Dictionary<string, object?>()).OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => Cells(E(c.Key), $"<code>{E(Format(c.Value))}</code>")),
            "the entry is gone from the Schedules table"));
        body.Append("<h2>Next 10 due times</h2>").Append(Table([$"in {zone.Id}", "UTC"],
            d.Next.Select(n => Cells(E(InZone(n, zone)), E(Time(n)))),
            d.Definition is { Enabled: false } ? "none while paused" : d.Definition is null ? "none: the entry does not validate" : "none left"));
        body.Append("<h2>Ledger (newest first)</h2>").Append(Table(["due", "attempt", "status", "started", "finished", "duration", "instance", "error", "inputs read (ETags)", "note"],
            d.Runs.Select(r => Cells(
                E(Time(r.Due)) + (r.Count > 1 ? E($" … {Time(r.LastDue)} ({r.Count})") : ""), E(r.Attempt), Status(r.Status.ToString()), E(Time(r.StartedAt)), E(Time(r.FinishedAt)),
                E(Duration(r.Duration)), E(r.Instance), E(r.ErrorType is null ? r.ErrorMessage : $"{r.ErrorType}: {r.ErrorMessage}"), E(r.InputsRead), E(r.Reason ?? r.Fault))
            ), "no runs yet"));
        body.Append("<h2>Edit history (newest first)</h2>").Append(Table(["seen", "change", "status", "what changed"],
            d.Edits.Select(e => Cells(E(Time(e.DetectedAt)), E(e.Change), Status(e.Status), Diff(e.Previous, e.New) + (e.Error is null ? "" : $"<br>{E(e.Error)}"))),
            "no edits recorded"));
        if (canAct && d.Columns is not null)
        {
            body.Append(EditForm(d, token));
        }

        return body.ToString();
    }

    public static string NewSchedule(IReadOnlyList<(string Name, string? Description, string? ExampleArgs)> jobs, string? job, string token, IReadOnlyDictionary<string, string>? values = null)
    {
        var body = new StringBuilder("<p>Choose a job from the catalog the app published:</p><ul>");
        foreach (var (name, description, _) in jobs.OrderBy(j => j.Name, StringComparer.Ordinal))
        {
            body.Append($"<li><a href=\"{E(Query(Base + "/new", ("job", name)))}\">{E(name)}</a> {E(description)}</li>");
        }

        body.Append("</ul>");
        if (job is null)
        {
            return body.ToString();
        }

        var example = jobs.FirstOrDefault(j => j.Name == job).ExampleArgs ?? "{}";
        string Value(string name, string fallback = "") => values?.GetValueOrDefault(name) ?? fallback;
        var fields =
            Field("Group", Value("Group", ScheduleKey.DefaultGroup)) + Field("Id", Value("Id")) +
            Field(ScheduleColumns.Job, Value(ScheduleColumns.Job, job)) +
            Field(ScheduleColumns.Cron, Value(ScheduleColumns.Cron), "five or six fields, e.g. 0 */5 * * * *") +
            Field(ScheduleColumns.Interval, Value(ScheduleColumns.Interval), "e.g. 10m, 1h30m") +
            Field(ScheduleColumns.RunAt, Value(ScheduleColumns.RunAt), "once, e.g. 2026-12-01T09:00:00Z") +
            Field(ScheduleColumns.TimeZone, Value(ScheduleColumns.TimeZone, "UTC")) +
            Field(ScheduleColumns.Input, Value(ScheduleColumns.Input), "container/prefix the job reads") +
            Area(ScheduleColumns.Args, Value(ScheduleColumns.Args, example)) +
            Field(ScheduleColumns.Description, Value(ScheduleColumns.Description));
        return body.Append($"<h2>New schedule for <code>{E(job)}</code></h2>").Append(Form(Base + "/new", token, fields, "Add schedule", "block")).ToString();
    }

    public static string AuditForm(string from, string to, int settle) =>
        $"<form method=\"get\" action=\"{Base}/audit\" class=\"block\">" +
        $"<label>From (UTC, ISO 8601) <input type=\"text\" name=\"from\" value=\"{E(from)}\"></label>" +
        $"<label>To <input type=\"text\" name=\"to\" value=\"{E(to)}\"></label>" +
        $"<label>Settle seconds (occurrences this close to now are not judged yet) <input type=\"text\" name=\"settle\" value=\"{E(settle)}\"></label>" +
        "<button type=\"submit\">Audit</button></form>";

    public static string AuditResults(IReadOnlyList<ScheduleAudit> audits, DateTimeOffset from, DateTimeOffset to, DateTimeOffset settledBefore)
    {
        var body = new StringBuilder();
        if (settledBefore <= from)
        {
            return $"<p class=\"note\">Nothing to judge yet: the window ends after {E(Time(settledBefore))}, the last moment the settle time lets the audit judge. Use a smaller settle time or an earlier start.</p>";
        }

        if (settledBefore < to)
        {
            body.Append($"<p class=\"note\">The window is cut at {E(Time(settledBefore))} by the settle time (later occurrences may not have been dispatched yet).</p>");
        }

        if (audits.Sum(a => a.Result.Occurrences.Count) == 0)
        {
            body.Append($"<p class=\"note\">No occurrence of any schedule was due between {E(Time(from))} and {E(Time(settledBefore < to ? settledBefore : to))}: nothing to judge.</p>");
        }

        OccurrenceFate[] fates = [OccurrenceFate.RanOnce, OccurrenceFate.SkippedByJob, OccurrenceFate.MissedByPolicy, OccurrenceFate.SkippedByOverlap, OccurrenceFate.FailedAfterRetries,
            OccurrenceFate.LostWithHost, OccurrenceFate.InProgress, OccurrenceFate.ReplacedByEdit, OccurrenceFate.RanMoreThanOnce, OccurrenceFate.Unaccounted];
        body.Append(Table(["schedule", "expected", .. fates.Select(f => f.ToString()), "note"],
            audits.Where(a => a.Result.Occurrences.Count > 0 || a.Note is not null).Select(a => Cells([
                Link(a.Key), E(a.Result.Occurrences.Count), .. fates.Select(f => a.Result.Count(f) is var n && n > 0 && f is OccurrenceFate.Unaccounted or OccurrenceFate.RanMoreThanOnce ? $"<strong class=\"status s-failed\">{n}</strong>" : E(a.Result.Count(f))), E(a.Note)])
            )));
        var defects = audits.SelectMany(a => a.Result.Defects.Select(d => $"{a.Key} due {Time(d.Due)}: {d.Fate}")).ToList();
        body.Append(defects.Count == 0 ? "<p class=\"note\">No occurrence unaccounted for or run twice.</p>" : $"<p class=\"error\">{E(string.Join("\n", defects))}</p>");
        return body.ToString();
    }

    private static string Actions(DetailData d, string token)
    {
        var etag = Hidden("etag", d.ETag);
        var target = Url("schedules", d.Key.Group, d.Key.Id);
        var paused = d.Definition is { Enabled: false };
        var body = new StringBuilder("<h2>Actions</h2><div>");
        body.Append(paused
            ? Form(target + "/resume", token, etag, "Resume")
            : Form(target + "/pause", token, etag + "<input type=\"text\" name=\"note\" placeholder=\"why (optional)\" aria-label=\"pause note\">", "Pause"));
        body.Append(Form(target + "/run", token, "", "Run now"));
        body.Append(Form(target + "/backfill", token,
            "<input type=\"text\" name=\"from\" placeholder=\"from (ISO 8601)\" aria-label=\"backfill from\"> <input type=\"text\" name=\"to\" placeholder=\"to\" aria-label=\"backfill to\">", "Backfill"));
        body.Append(Form(target + "/remove", token, etag + "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\"> really</label>", "Remove"));
        return body.Append("</div>").ToString();
    }

    private static string EditForm(DetailData d, string token)
    {
        var columns = d.Columns!;
        var names = ScheduleColumns.All.Concat(columns.Keys.Where(k => !ScheduleColumns.All.Contains(k))).Distinct(StringComparer.Ordinal);
        var fields = new StringBuilder(Hidden("etag", d.ETag));
        foreach (var name in names)
        {
            var value = Format(columns.GetValueOrDefault(name));
            fields.Append(name == ScheduleColumns.Args ? Area(name, value) : Field(name, value));
        }

        return "<h2 id=\"edit\">Edit</h2><p>Empty fields are removed from the entry. The change is validated as the dispatcher validates it, " +
            "and written only over the version shown here.</p>" + Form(Url("schedules", d.Key.Group, d.Key.Id, "edit"), token, fields.ToString(), "Save", "block");
    }

    /// <summary>Column by column: what an edit removed, added or changed.</summary>
    public static string Diff(string? previous, string? next)
    {
        var before = Columns(previous);
        var after = Columns(next);
        var lines = before.Keys.Union(after.Keys).Order(StringComparer.Ordinal).Select(name =>
        {
            var old = before.GetValueOrDefault(name);
            var now = after.GetValueOrDefault(name);
            return old == now ? null
                : old is null ? $"{E(name)}: <ins>{E(now)}</ins>"
                : now is null ? $"{E(name)}: <del>{E(old)}</del>"
                : $"{E(name)}: <del>{E(old)}</del> → <ins>{E(now)}</ins>";
        }).Where(l => l is not null);
        return string.Join("<br>", lines);
    }

    private static Dictionary<string, string?> Columns(string? snapshot)
    {
        if (string.IsNullOrEmpty(snapshot))
        {
            return new();
        }

        try
        {
            return ColumnSnapshot.Deserialize(snapshot).ToDictionary(c => c.Key, c => (string?)Format(c.Value), StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            return new() { ["(snapshot)"] = snapshot };
        }
    }

    public static string Format(object? value) => value switch
    {
        null => "",
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture),
        DateTime t => DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string[] Cells(params string[] cells) => cells;

    private static string Card(string label, int count) => $"<div class=\"card\"><b>{count}</b>{E(label)}</div>";

    private static string Link(ScheduleKey key) => $"<a href=\"{E(Url("schedules", key.Group, key.Id))}\">{E(key.ToString())}</a>";

    private static string Hidden(string name, string? value) => $"<input type=\"hidden\" name=\"{E(name)}\" value=\"{E(value)}\">";

    private static string Field(string name, string value, string? hint = null) =>
        $"<label>{E(name)} <input type=\"text\" name=\"{E(name)}\" value=\"{E(value)}\" aria-label=\"{E(name)}\">{(hint is null ? "" : $" <small>{E(hint)}</small>")}</label>";

    private static string Area(string name, string value) =>
        $"<label>{E(name)}<br><textarea name=\"{E(name)}\" rows=\"4\" aria-label=\"{E(name)}\">{E(value)}</textarea></label>";
}
