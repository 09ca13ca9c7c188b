using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Scheduler.Functions.Dashboard;

/// <summary>Encoding and the page frame. Everything that came from a table or a request goes through <see cref="E(string?)"/>.</summary>
internal static class Html
{
    public const string Base = "/dashboard";

    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    public static string E(object? value) => E(Convert.ToString(value, CultureInfo.InvariantCulture));

    /// <summary>A dashboard URL: each segment escaped, then an optional query.</summary>
    public static string Url(params string[] segments) =>
        Base + string.Concat(segments.Select(s => "/" + Uri.EscapeDataString(s)));

    public static string Query(string url, params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).ToList();
        return present.Count == 0 ? url : url + "?" + string.Join("&", present.Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)));
    }

    public static string Time(DateTimeOffset? instant) =>
        instant?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    /// <summary>A date and time typed into a form: ISO 8601 or any invariant form, UTC unless it says otherwise.</summary>
    public static bool TryInstant(string? text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);

    public static string InZone(DateTimeOffset instant, NodaTime.DateTimeZone zone) =>
        Scheduler.Schedules.WallClock.InZone(instant, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan? span) => span switch
    {
        null => "",
        { TotalSeconds: < 1 } s => $"{s.TotalMilliseconds:0} ms",
        { TotalMinutes: < 1 } s => $"{s.TotalSeconds:0.0} s",
        var s => $"{(int)s.Value.TotalMinutes} min {s.Value.Seconds} s",
    };

    public static string Status(string? status) =>
        status is null ? "" : $"<span class=\"status s-{E(status.ToLowerInvariant())}\">{E(status)}</span>";

    /// <summary>A form that posts to <paramref name="action"/> with the anti-forgery token; <paramref name="fields"/> is trusted markup.</summary>
    public static string Form(string action, string token, string fields, string button, string? cssClass = null) =>
        $"<form method=\"post\" action=\"{E(action)}\" class=\"{E(cssClass ?? "inline")}\">" +
        $"<input type=\"hidden\" name=\"{DashboardEndpoint.TokenField}\" value=\"{E(token)}\">{fields}<button type=\"submit\">{E(button)}</button></form>";

    public static string Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows, string? empty = null)
    {
        var body = new StringBuilder();
        foreach (var row in rows)
        {
            body.Append("<tr>").AppendJoin("", row.Select(cell => $"<td>{cell}</td>")).Append("</tr>");
        }

        return body.Length == 0 && empty is not null
            ? $"<p class=\"empty\">{E(empty)}</p>"
            : $"<table><thead><tr>{string.Concat(headers.Select(h => $"<th>{E(h)}</th>"))}</tr></thead><tbody>{body}</tbody></table>";
    }

    public static string Page(string title, DashboardUser user, bool readOnly, string body, string? note = null, string? error = null)
    {
        var banner = (note is null ? "" : $"<p class=\"note\" role=\"status\">{E(note)}</p>") + (error is null ? "" : $"<p class=\"error\" role=\"alert\">{E(error)}</p>");
        var who = $"{E(user.Name)} · {(readOnly ? "read-only dashboard" : user.CanAct ? "operator" : "reader")}";
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{E(title)}} · Scheduler</title>
            <style>{{Style}}</style></head>
            <body><header><strong>Scheduler</strong>
            <nav><a href="{{Base}}">Overview</a><a href="{{Base}}/schedules">Schedules</a><a href="{{Base}}/audit">Audit</a>{{(user.CanAct && !readOnly ? $"<a href=\"{Base}/new\">Add</a>" : "")}}</nav>
            <span class="who">{{who}}</span></header>
            <main><h1>{{E(title)}}</h1>{{banner}}{{body}}</main></body></html>
            """;
    }

    private const string Style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
        header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1f3a5f;color:#fff}
        header a{color:#fff;margin-right:1em;text-decoration:none}header .who{margin-left:auto;opacity:.85}
        main{padding:1em 1.5em;max-width:1400px}h1{font-size:1.4em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.4em 0 .4em}
        table{border-collapse:collapse;background:#fff;width:100%;margin-bottom:1em}
        th,td{border:1px solid #d6dae0;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#eef1f5}
        .status{padding:0 .4em;border-radius:3px;background:#e4e7eb}.s-active,.s-succeeded{background:#d3f2dc}
        .s-invalid,.s-failed,.s-failedafterretries,.s-lostwithhost{background:#fbd5d5}.s-paused,.s-missed,.s-skipped{background:#fdf0c4}
        .note{background:#d3f2dc;padding:.5em}.error{background:#fbd5d5;padding:.5em;white-space:pre-wrap}
        .cards{display:flex;gap:1em;flex-wrap:wrap}.card{background:#fff;border:1px solid #d6dae0;padding:.6em 1em;min-width:8em}
        .card b{display:block;font-size:1.6em}form.inline{display:inline-block;margin:0 .4em .4em 0}
        form.block{background:#fff;border:1px solid #d6dae0;padding:.8em;margin:.5em 0}
        form.block label{display:block;margin:.3em 0}input[type=text],textarea{font:inherit;width:32em;max-width:100%}
        form.inline input[type=text]{width:14em}
        .empty{color:#57606a}code,pre{background:#eef1f5;padding:0 .2em}pre{padding:.5em;white-space:pre-wrap}
        del{background:#fbd5d5}ins{background:#d3f2dc;text-decoration:none}
        """;
}
