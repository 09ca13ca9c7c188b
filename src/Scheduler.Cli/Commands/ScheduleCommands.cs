using System.CommandLine;
using System.Globalization;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Cli.Commands;

/// <summary>`scheduler schedules ...`: list, show, add, set, pause, resume, remove, run, backfill, next.</summary>
internal static class ScheduleCommands
{
    public static Command Create(CommandContext context)
    {
        var schedules = new Command("schedules", "Schedules: list, inspect, add, change, pause, resume, remove, run now, backfill, preview.\n\nExample: scheduler schedules show nightly-import");
        schedules.Add(List(context));
        schedules.Add(Show(context));
        schedules.Add(Write(context, add: true));
        schedules.Add(Write(context, add: false));
        schedules.Add(Pause(context));
        schedules.Add(Simple(context, "resume", "Resume a paused schedule; occurrences due while it was paused do not run.\n\nExample: scheduler schedules resume nightly-import",
            (s, key, ct) => s.AdminAccepting(null).ResumeAsync(key, ct), "resumed"));
        schedules.Add(Simple(context, "remove", "Remove a schedule's entry; its ledger and history are kept.\n\nExample: scheduler schedules remove nightly-import",
            async (s, key, ct) =>
            {
                if (!await s.AdminAccepting(null).RemoveAsync(key, cancellationToken: ct))
                {
                    throw new CliUserException($"no schedule {ScheduleIds.Show(key)}");
                }
            }, "removed"));
        schedules.Add(RunNow(context));
        schedules.Add(Backfill(context));
        schedules.Add(Next(context));
        return schedules;
    }

    private static Command List(CommandContext context)
    {
        var status = new Option<ScheduleStatus?>("--status") { Description = "Only schedules with this status (Active, Paused, Invalid, Finished, Deleted)" };
        var command = new Command("list", "Every schedule with its job, timing in words, zone, next due time, last status and error.\n\nExample: scheduler schedules list --status Invalid --json") { status };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var rows = await ScheduleRow.LoadAsync(session, ct);
            if (parse.GetValue(status) is { } only)
            {
                rows = [.. rows.Where(r => r.Status == only.ToString())];
            }

            if (output.Json)
            {
                output.WriteJson(rows);
            }
            else
            {
                output.Table(null, ["id", "job", "when", "zone", "enabled", "next due", "last", "error"],
                    rows.Select(r => (IReadOnlyList<string?>)[r.Id, r.Job, r.When, r.TimeZone, r.EnabledText(), r.NextDue, r.LastStatus, r.Error ?? (r.Status == "Active" ? null : r.Status)]));
            }

            return 0;
        }));
        return command;
    }

    private static Command Show(CommandContext context)
    {
        var id = ScheduleIds.Argument();
        var command = new Command("show", "A schedule's definition, state, next 5 due times, last 10 runs and recent edits.\n\nExample: scheduler schedules show reports/weekly") { id };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var key = ScheduleIds.Parse(parse.GetValue(id)!);
            var entity = await session.Definitions.GetAsync(key, ct);
            var state = await session.States.GetAsync(key, ct);
            if (entity is null && state is null)
            {
                throw new CliUserException($"no schedule {ScheduleIds.Show(key)}");
            }

            var columns = entity is null ? new Dictionary<string, object?>() : DefinitionStore.ColumnsOf(entity);
            var next = ScheduleValidator.TryValidate(key, columns, session.Accepting(columns.GetValueOrDefault(ScheduleColumns.Job) as string), out var definition, out var errors)
                ? ScheduleTimeline.For(definition).Preview(session.Clock.GetUtcNow(), 5).Select(t => Times.InZoneAndUtc(t, definition.TimeZone)).ToList()
                : [];
            var runs = await session.States.ReadRunsAsync(key, 10, ct);
            var edits = await session.States.ReadEditsAsync(key, 5, ct);
            if (output.Json)
            {
                output.WriteJson(new
                {
                    id = ScheduleIds.Show(key),
                    definition = columns.ToDictionary(c => c.Key, c => c.Value is DateTimeOffset d ? d.ToString("O", CultureInfo.InvariantCulture) : c.Value),
                    status = state?.State.Status.ToString(),
                    tzdb = TimeZones.TzdbVersion,
                    error = state?.State.Error ?? (errors.Count > 0 ? string.Join("; ", errors) : null),
                    next,
                    runs = runs.Select(RunsCommand.ToJson),
                    edits,
                });
                return 0;
            }

            output.Table($"schedule {ScheduleIds.Show(key)}", ["column", "value"], columns.OrderBy(c => c.Key).Select(c => (IReadOnlyList<string?>)[c.Key, Times.Format(c.Value)]));
            if (state is not null)
            {
                var s = state.State;
                output.Table("state", ["status", "next due", "in flight", "pending", "last due", "last status", "error"],
                    [[s.Status.ToString(), Times.Iso(s.NextDue), s.InFlight.Count.ToString(CultureInfo.InvariantCulture), s.Pending.Count.ToString(CultureInfo.InvariantCulture), Times.Iso(s.LastDue), s.LastStatus?.ToString(), s.Error ?? s.LastError]]);
                if (state.Faults.Count > 0)
                {
                    output.Line($"state row damaged: {string.Join("; ", state.Faults)}; the dispatcher repairs it from the definition and the ledger when it is next due");
                }
            }
            else
            {
                output.Line("state: not yet picked up by a dispatcher");
            }

            output.Table($"next due times (tzdb {TimeZones.TzdbVersion})", ["in zone", "UTC"], next.Select(n => (IReadOnlyList<string?>)[n.Local, n.Utc]));
            RunsCommand.Print(output, "last runs", runs);
            output.Table("recent edits", ["seen at", "change", "status", "error"], edits.Select(e => (IReadOnlyList<string?>)[Times.Iso(e.DetectedAt), e.Change, e.Status, e.Fault is { } f ? $"unreadable edit row: {f}" : e.Error]));
            return 0;
        }));
        return command;
    }

    private static Command Write(CommandContext context, bool add)
    {
        var id = ScheduleIds.Argument();
        var definitionOptions = new DefinitionOptions();
        var command = add
            ? new Command("add", "Add a schedule. Validated first: a refused entry is not written and the message says what to fix.\n\nExample: scheduler schedules add nightly-import --job file-import --cron \"30 2 * * *\" --tz Europe/London --input imports/incoming/ --args '{\"table\":\"Customers\"}'")
            : new Command("set", "Change a schedule's columns (the options given; a new trigger replaces the old). Validated first.\n\nExample: scheduler schedules set nightly-import --cron \"0 3 * * *\" --max-attempts 3");
        var allowUnlisted = new Option<bool>("--allow-unlisted-job") { Description = "Write the schedule even though its job is not in the Jobs catalog yet (an app that registers it is still to be deployed)" };
        command.Add(id);
        foreach (var option in definitionOptions.All)
        {
            command.Add(option);
        }

        command.Add(allowUnlisted);

        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var key = ScheduleIds.Parse(parse.GetValue(id)!);
            var existing = await session.Definitions.GetAsync(key, ct);
            if (add && existing is not null)
            {
                throw new CliUserException($"schedule {ScheduleIds.Show(key)} exists; change it with `scheduler schedules set {ScheduleIds.Show(key)} ...`");
            }

            if (!add && existing is null)
            {
                throw new CliUserException($"no schedule {ScheduleIds.Show(key)}; add it with `scheduler schedules add {ScheduleIds.Show(key)} ...`");
            }

            var columns = existing is null ? new Dictionary<string, object?>(StringComparer.Ordinal) : DefinitionStore.ColumnsOf(existing);
            definitionOptions.ApplyTo(columns, parse);
            var job = columns.GetValueOrDefault(ScheduleColumns.Job) as string;
            var namesJob = add || definitionOptions.Gives(parse, ScheduleColumns.Job);
            if (namesJob && !parse.GetValue(allowUnlisted) && job is not null && session.Published.KnownJobs.Count > 0 && !session.Published.KnownJobs.Contains(job))
            {
                // Every error at once: the job and whatever else is wrong with the entry.
                ScheduleValidator.TryValidate(key, columns, session.Accepting(job), out _, out var others);
                throw new CliUserException(string.Join("; ", [
                    $"job \"{job}\" is not in the Jobs catalog ({string.Join(", ", session.Published.KnownJobs.Order())}); check the name, or pass --allow-unlisted-job if an app that registers it is still to be deployed",
                    .. others]));
            }

            WarnUnknownJob(session, output, job);
            var admin = session.AdminAccepting(job);
            var definition = add ? await admin.AddAsync(key, columns, ct) : await admin.PutAsync(key, columns, existing!.ETag, ct);
            var next = ScheduleTimeline.For(definition).Next(session.Clock.GetUtcNow());
            output.Line($"{(add ? "added" : "updated")} {ScheduleIds.Show(key)}: {definition.Job}, {ScheduleDescription.Describe(definition.Trigger, definition.TimeZone)} ({definition.TimeZone.Id}); next due {(next is { } n ? Times.InZoneAndUtc(n, definition.TimeZone).ToString() : "never")}");
            return 0;
        }));
        return command;
    }

    internal static void WarnUnknownJob(CliSession session, Output output, string? job)
    {
        if (job is not null && !session.Published.KnownJobs.Contains(job))
        {
            output.Warn(session.Published.KnownJobs.Count == 0
                ? $"the Jobs catalog is empty (no app has started against these tables), so job \"{job}\" cannot be checked"
                : $"job \"{job}\" is not in the Jobs catalog ({string.Join(", ", session.Published.KnownJobs.Order())}); the dispatcher marks the schedule invalid until an app that registers it is deployed");
        }
    }

    private static Command Pause(CommandContext context)
    {
        var id = ScheduleIds.Argument();
        var note = new Option<string?>("--note") { Description = "Why it is paused (kept in the PauseNote column)" };
        var command = new Command("pause", "Pause a schedule without losing its state.\n\nExample: scheduler schedules pause nightly-import --note \"vendor outage\"") { id, note };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var key = ScheduleIds.Parse(parse.GetValue(id)!);
            await session.AdminAccepting(await JobOfAsync(session, key, ct)).PauseAsync(key, parse.GetValue(note), ct);
            output.Line($"paused {ScheduleIds.Show(key)}");
            return 0;
        }));
        return command;
    }

    private static Command Simple(CommandContext context, string name, string description, Func<CliSession, ScheduleKey, CancellationToken, Task> act, string done)
    {
        var id = ScheduleIds.Argument();
        var command = new Command(name, description) { id };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var key = ScheduleIds.Parse(parse.GetValue(id)!);
            await act(session, key, ct);
            output.Line($"{done} {ScheduleIds.Show(key)}");
            return 0;
        }));
        return command;
    }

    private static Command RunNow(CommandContext context)
    {
        var id = ScheduleIds.Argument();
        var command = new Command("run", "Run a schedule now, through the same claim, ledger and overlap policy as the tick.\n\nExample: scheduler schedules run nightly-import") { id };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var key = ScheduleIds.Parse(parse.GetValue(id)!);
            var requested = await session.AdminAccepting(await JobOfAsync(session, key, ct)).TriggerNowAsync(key, ct);
            output.Line($"requested a run of {ScheduleIds.Show(key)} due {Times.Iso(requested)}; the next tick claims it (see `scheduler runs {ScheduleIds.Show(key)}`)");
            return 0;
        }));
        return command;
    }

    private static Command Backfill(CommandContext context)
    {
        var id = ScheduleIds.Argument();
        var from = Moment.Option("--from", "Start of the range", required: true);
        var to = Moment.Option("--to", "End of the range, inclusive", required: true);
        var command = new Command("backfill", "Queue the occurrences of a past range (those not already Succeeded), run as the overlap policy allows.\n\nExample: scheduler schedules backfill nightly-import --from 2026-11-01T00:00Z --to 2026-11-07T23:59Z") { id, from, to };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var key = ScheduleIds.Parse(parse.GetValue(id)!);
            var queued = await session.AdminAccepting(await JobOfAsync(session, key, ct)).BackfillAsync(key, parse.GetValue(from)!.Resolve(session.Clock.GetUtcNow()), parse.GetValue(to)!.Resolve(session.Clock.GetUtcNow()), ct);
            if (output.Json)
            {
                output.WriteJson(new { id = ScheduleIds.Show(key), queued });
            }
            else
            {
                output.Line($"queued {queued.Count} occurrence{(queued.Count == 1 ? "" : "s")} of {ScheduleIds.Show(key)}{(queued.Count > 0 ? $" from {Times.Iso(queued[0])} to {Times.Iso(queued[^1])}" : "")}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Next(CommandContext context)
    {
        var id = ScheduleIds.Argument();
        var count = new Option<int>("-n", "--count") { Description = "How many", DefaultValueFactory = _ => 10 };
        var from = new Option<string?>("--from") { Description = "After this moment instead of now (ISO 8601; without an offset: wall-clock time in the schedule's zone; or relative: -1d, +2h)" };
        var command = new Command("next", "The next due times in the schedule's zone (with its offset, so DST shows) and in UTC.\n\nExample: scheduler schedules next nightly-import -n 5 --from 2027-03-27T00:00") { id, count, from };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var key = ScheduleIds.Parse(parse.GetValue(id)!);
            var entity = await session.Definitions.GetAsync(key, ct) ?? throw new CliUserException($"no schedule {ScheduleIds.Show(key)}");
            var columns = DefinitionStore.ColumnsOf(entity);
            var definition = ScheduleValidator.Validate(key, columns, session.Accepting(columns.GetValueOrDefault(ScheduleColumns.Job) as string));
            var now = session.Clock.GetUtcNow();
            var after = parse.GetValue(from) is not { Length: > 0 } text ? now
                : Moment.TryParseRelative(text, out var fromNow) ? now + fromNow
                : WallClock.Parse("--from", text, definition.TimeZone);
            var times = ScheduleTimeline.For(definition).Preview(after, Math.Clamp(parse.GetValue(count), 1, 1000)).Select(t => Times.InZoneAndUtc(t, definition.TimeZone)).ToList();
            if (!definition.Enabled)
            {
                output.Warn($"{ScheduleIds.Show(key)} is paused{(definition.PauseNote is { Length: > 0 } note ? $" ({note})" : "")}: nothing runs until it is resumed, and these are the times it would run after that (occurrences due while paused do not run)");
            }

            if (output.Json)
            {
                output.WriteJson(times);
            }
            else
            {
                output.Table($"{ScheduleIds.Show(key)}: {ScheduleDescription.Describe(definition.Trigger, definition.TimeZone)} in {definition.TimeZone.Id}{(definition.Enabled ? "" : " (paused)")}", ["in zone", "UTC"], times.Select(t => (IReadOnlyList<string?>)[t.Local, t.Utc]));
            }

            return 0;
        }));
        return command;
    }

    private static async Task<string?> JobOfAsync(CliSession session, ScheduleKey key, CancellationToken ct) =>
        (await session.Definitions.GetAsync(key, ct))?.GetString(ScheduleColumns.Job);
}
