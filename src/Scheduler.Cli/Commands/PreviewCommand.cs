using System.CommandLine;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Cli.Commands;

/// <summary>
/// `scheduler preview`: the next due times of a trigger from any moment, without storage, checked by the dispatcher's
/// own validator, so an expression can be tried against next spring's clock change before it is saved.
/// </summary>
internal static class PreviewCommand
{
    private const string PreviewJob = "preview";

    public static Command Create(CommandContext context)
    {
        var cron = new Option<string?>("--cron") { Description = "Cron expression: 5 fields, or 6 with seconds first" };
        var every = new Option<string?>("--every") { Description = "Fixed interval: 30s, 5m, 2h, 1d or hh:mm:ss" };
        var at = new Option<string?>("--at") { Description = "One shot: ISO 8601 time (without an offset: wall-clock time in --tz)" };
        var zone = new Option<string?>("--tz") { Description = "IANA or Windows time zone id (default UTC)" };
        var dst = new Option<string?>("--dst-policy", "--dst") { Description = "Shift (default), Skip or Twice" };
        var from = new Option<string?>("--from") { Description = "Preview after this moment (ISO 8601; without an offset: wall-clock time in --tz); default now" };
        var count = new Option<int>("-n", "--count") { Description = "How many (1-1000)", DefaultValueFactory = _ => 10 };
        var command = new Command("preview",
            "The next due times of a cron expression, interval or one-shot time, in the zone (with its offset) and in UTC, from any moment. Needs no storage.\n\n" +
            "Example: scheduler preview --cron \"30 2 * * *\" --tz Europe/London --from 2027-03-27T00:00 -n 4")
        {
            cron, every, at, zone, dst, from, count,
        };
        command.SetAction(context.Offline((output, parse) =>
        {
            var columns = new Dictionary<string, object?>(StringComparer.Ordinal) { [ScheduleColumns.Job] = PreviewJob };
            Copy(parse.GetValue(cron), ScheduleColumns.Cron);
            Copy(parse.GetValue(every), ScheduleColumns.Interval);
            Copy(parse.GetValue(at), ScheduleColumns.RunAt);
            Copy(parse.GetValue(zone), ScheduleColumns.TimeZone);
            Copy(parse.GetValue(dst), ScheduleColumns.DstPolicy);
            var accepting = new ValidationContext(new HashSet<string>(StringComparer.Ordinal) { PreviewJob }, new HashSet<string>(StringComparer.Ordinal));
            var definition = ScheduleValidator.Validate(new ScheduleKey("preview", "preview"), columns, accepting);
            var after = parse.GetValue(from) is { Length: > 0 } text
                ? WallClock.Parse("--from", text, definition.TimeZone)
                : TimeProvider.System.GetUtcNow();
            var times = ScheduleTimeline.For(definition).Preview(after, Math.Clamp(parse.GetValue(count), 1, 1000))
                .Select(t => Times.InZoneAndUtc(t, definition.TimeZone)).ToList();
            var described = ScheduleDescription.Describe(definition.Trigger, definition.TimeZone);
            if (output.Json)
            {
                output.WriteJson(new { trigger = described, zone = definition.TimeZone.Id, dstPolicy = definition.Policies.Dst.ToString(), tzdb = TimeZones.TzdbVersion, from = Times.Iso(after), times });
            }
            else
            {
                output.Line(described);
                output.Line($"in {definition.TimeZone.Id}, DstPolicy {definition.Policies.Dst}, tzdb {TimeZones.TzdbVersion}; after {Times.InZoneAndUtc(after, definition.TimeZone)}");
                output.Table(null, ["in zone", "UTC"], times.Select(t => (IReadOnlyList<string?>)[t.Local, t.Utc]));
            }

            return 0;

            void Copy(string? value, string column)
            {
                if (value is not null)
                {
                    columns[column] = value;
                }
            }
        }));
        return command;
    }
}
