using Scheduler.Storage;
using Scheduler.Schedules;

namespace Scheduler.Cli.Commands;

/// <summary>One line of `schedules list`: the definition joined with its state.</summary>
/// <remarks><see cref="Enabled"/> is null when the Enabled column is neither true nor false (the entry is then invalid).</remarks>
internal sealed record ScheduleRow(string Id, string? Job, string When, string TimeZone, bool? Enabled, string? NextDue, string Status, string? LastStatus, string? Error)
{
    public static async Task<List<ScheduleRow>> LoadAsync(CliSession session, CancellationToken ct)
    {
        var states = (await session.States.ListAsync(ct)).ToDictionary(s => s.Key);
        var rows = new List<ScheduleRow>();
        var seen = new HashSet<ScheduleKey>();
        await foreach (var entity in session.Definitions.ScanAsync(ct))
        {
            var key = DefinitionStore.KeyOf(entity);
            seen.Add(key);
            var columns = DefinitionStore.ColumnsOf(entity);
            var job = columns.GetValueOrDefault(ScheduleColumns.Job) as string;
            states.TryGetValue(key, out var state);
            var valid = ScheduleValidator.TryValidate(key, columns, session.Accepting(job), out var definition, out var errors);
            var zone = definition?.TimeZone ?? NodaTime.DateTimeZone.Utc;
            rows.Add(new ScheduleRow(
                ScheduleIds.Show(key),
                job,
                valid ? ScheduleDescription.Describe(definition!.Trigger, zone) : Raw(columns),
                definition?.TimeZone.Id ?? (columns.GetValueOrDefault(ScheduleColumns.TimeZone) as string ?? "UTC"),
                definition?.Enabled ?? EnabledColumn(columns),
                state?.State.NextDue is { } next ? Times.InZoneAndUtc(next, zone).Local : null,
                state?.State.Status.ToString() ?? (valid ? "New" : "Invalid"),
                state?.State.LastStatus?.ToString(),
                state?.State.Error ?? (valid ? null : string.Join("; ", errors))));
        }

        rows.AddRange(states.Values.Where(s => !seen.Contains(s.Key) && s.State.Status != Planning.ScheduleStatus.Deleted)
            .Select(s => new ScheduleRow(ScheduleIds.Show(s.Key), s.Job, "(entry removed)", "", false, null, s.State.Status.ToString(), s.State.LastStatus?.ToString(), "the Schedules entry is gone; the next reconcile marks it Deleted")));
        return [.. rows.OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    /// <summary>The Enabled column of an entry that did not validate: true when absent, null when it is not a boolean.</summary>
    private static bool? EnabledColumn(Dictionary<string, object?> columns) => columns.GetValueOrDefault(ScheduleColumns.Enabled) switch
    {
        null => true,
        bool b => b,
        string text when bool.TryParse(text.Trim(), out var b) => b,
        _ => null,
    };

    /// <summary>How `schedules list` shows the Enabled column.</summary>
    public string EnabledText() => Enabled switch
    {
        true => "yes",
        false => "no",
        null => "not true or false",
    };

    private static string Raw(Dictionary<string, object?> columns)
    {
        var trigger = columns.GetValueOrDefault(ScheduleColumns.Cron) ?? columns.GetValueOrDefault(ScheduleColumns.Interval) ?? columns.GetValueOrDefault(ScheduleColumns.RunAt);
        return trigger is null ? "(no trigger)" : Times.Format(trigger) ?? "";
    }
}
