using System.Globalization;
using Azure;
using Scheduler.Admin;
using Scheduler.Storage;
using Scheduler.Schedules;

namespace Scheduler.Functions.Dashboard;

/// <summary>What an action did: where to go next and what to say, or what went wrong (shown on the page it came from).</summary>
internal sealed record ActionOutcome(string? Note, string? Error, int Status = 303, string? RedirectTo = null);

/// <summary>
/// The dashboard's actions, all through <see cref="ScheduleAdmin"/>: validated by the dispatcher's validator, and the
/// ones that change the entry written only over the version the page showed (its ETag), so a concurrent edit is shown,
/// never overwritten.
/// </summary>
internal sealed class DashboardActions(ScheduleAdmin admin, DefinitionStore definitions)
{
    public async Task<ActionOutcome> RunAsync(ScheduleKey key, string action, IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        try
        {
            return action switch
            {
                "pause" => await ChangeAsync(key, form, c => { c[ScheduleColumns.Enabled] = false; c[ScheduleColumns.PauseNote] = Text(form, "note"); }, "paused", cancellationToken),
                "resume" => await ChangeAsync(key, form, c => { c[ScheduleColumns.Enabled] = true; c.Remove(ScheduleColumns.PauseNote); }, "resumed", cancellationToken),
                "edit" => await ChangeAsync(key, form, c => Edit(c, form), "saved", cancellationToken),
                "run" => new ActionOutcome($"run requested for {Html.Time(await admin.TriggerNowAsync(key, cancellationToken))}; the next tick claims it like any occurrence", null),
                "backfill" => await BackfillAsync(key, form, cancellationToken),
                "remove" => await RemoveAsync(key, form, cancellationToken),
                _ => new ActionOutcome(null, $"there is no action \"{action}\"", 404),
            };
        }
        catch (Exception ex) when (ex is ScheduleValidationException or ScheduleConflictException or ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            return new ActionOutcome(null, ex.Message, ex is ScheduleConflictException ? 409 : 422);
        }
    }

    public async Task<ActionOutcome> AddAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        var group = Text(form, "Group") ?? ScheduleKey.DefaultGroup;
        if (Text(form, "Id") is not { } id)
        {
            return new ActionOutcome(null, "give the schedule an Id (the entry's RowKey)", 422);
        }

        var key = new ScheduleKey(group, id);
        var columns = ScheduleColumns.All.Where(n => Text(form, n) is not null).ToDictionary(n => n, n => (object?)Text(form, n), StringComparer.Ordinal);
        try
        {
            await admin.AddAsync(key, columns, cancellationToken);
            return new ActionOutcome($"added {key}; the next tick applies it", null, RedirectTo: Html.Url("schedules", key.Group, key.Id));
        }
        catch (Exception ex) when (ex is ScheduleValidationException or ScheduleConflictException or ArgumentException)
        {
            return new ActionOutcome(null, ex.Message, ex is ScheduleConflictException ? 409 : 422);
        }
    }

    /// <summary>Reads the entry, refuses if it is not the version the page showed, changes it and writes it If-Match that version.</summary>
    private async Task<ActionOutcome> ChangeAsync(ScheduleKey key, IReadOnlyDictionary<string, string> form, Action<Dictionary<string, object?>> change, string done, CancellationToken cancellationToken)
    {
        var entity = await definitions.GetAsync(key, cancellationToken) ?? throw new KeyNotFoundException($"schedule {key} is gone from the Schedules table; nothing was written");
        if (Text(form, "etag") is not { } shown || shown != entity.ETag.ToString())
        {
            return new ActionOutcome(null, $"schedule {key} was changed by someone else after this page was loaded; nothing was written. The page now shows the current version: look at it and repeat the change", 409);
        }

        var columns = DefinitionStore.ColumnsOf(entity);
        change(columns);
        await admin.PutAsync(key, columns, new ETag(shown), cancellationToken);
        return new ActionOutcome($"{key} {done}; the next tick applies it", null);
    }

    /// <summary>Every field of the edit form: a text unchanged keeps the column's stored value and type; an empty one removes the column.</summary>
    private static void Edit(Dictionary<string, object?> columns, IReadOnlyDictionary<string, string> form)
    {
        foreach (var name in ScheduleColumns.All.Concat(columns.Keys.ToList()).Distinct(StringComparer.Ordinal))
        {
            if (!form.TryGetValue(name, out var text))
            {
                continue;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                columns.Remove(name);
            }
            else if (DashboardPages.Format(columns.GetValueOrDefault(name)) != text)
            {
                columns[name] = text;
            }
        }
    }

    private async Task<ActionOutcome> BackfillAsync(ScheduleKey key, IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        if (!Html.TryInstant(Text(form, "from"), out var from) || !Html.TryInstant(Text(form, "to"), out var to))
        {
            return new ActionOutcome(null, "give the range to backfill as two dates and times, such as 2026-11-20T00:00:00Z and 2026-11-21T00:00:00Z", 422);
        }

        var queued = await admin.BackfillAsync(key, from, to, cancellationToken);
        return new ActionOutcome(queued.Count == 0
            ? $"nothing to backfill: every occurrence of {key} between {Html.Time(from)} and {Html.Time(to)} succeeded, or there was none"
            : $"{queued.Count} occurrence(s) of {key} queued, {Html.Time(queued[0])} to {Html.Time(queued[^1])}", null);
    }

    private async Task<ActionOutcome> RemoveAsync(ScheduleKey key, IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        if (Text(form, "confirm") != "yes")
        {
            return new ActionOutcome(null, "tick \"really\" to remove the schedule", 422);
        }

        var removed = await admin.RemoveAsync(key, Text(form, "etag") is { } etag ? new ETag(etag) : null, cancellationToken);
        return new ActionOutcome(removed ? $"removed {key}; its ledger and history stay" : $"{key} was already removed", null, RedirectTo: Html.Url("schedules"));
    }


    private static string? Text(IReadOnlyDictionary<string, string> form, string name) =>
        form.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
