using System.CommandLine;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Cli.Commands;

/// <summary>`scheduler doctor`: every entry checked; non-zero exit if anything needs a person.</summary>
internal static class DoctorCommand
{
    public sealed record Finding(string Id, string Problem, string Detail);

    public static Command Create(CommandContext context)
    {
        var clear = new Option<bool>("--clear-quarantine") { Description = "After listing them, forget the quarantined rows (their copies are in the listing; use --json to keep them)" };
        var command = new Command("doctor", "Validate every entry and list what needs a person: invalid entries, unknown jobs, schedules that can never fire (a one-shot that ran is fine), runs stuck past their lease, rows of the scheduler's tables that do not read (quarantined or still in place). Exits 1 if there is any.\n\nExample: scheduler doctor --json") { clear };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var now = session.Clock.GetUtcNow();
            var findings = new List<Finding>();
            var badStates = new List<RowFault>();
            var states = (await session.States.ListAsync(badStates, ct)).ToDictionary(s => s.Key);
            var quarantined = await session.Quarantine.ListAsync(ct);
            var finished = 0;
            findings.AddRange(await UnreadableRowsAsync(session, states.Values, badStates, quarantined, ct));
            await foreach (var entity in session.Definitions.ScanAsync(ct))
            {
                var key = DefinitionStore.KeyOf(entity);
                var id = ScheduleIds.Show(key);
                var columns = DefinitionStore.ColumnsOf(entity);
                var job = columns.GetValueOrDefault(ScheduleColumns.Job) as string;
                if (job is not null && !session.Published.KnownJobs.Contains(job))
                {
                    findings.Add(new Finding(id, "unknown job", $"job \"{job}\" is not in the Jobs catalog ({string.Join(", ", session.Published.KnownJobs.Order())})"));
                }

                if (!ScheduleValidator.TryValidate(key, columns, session.Accepting(job), out var definition, out var errors))
                {
                    findings.Add(new Finding(id, "invalid", string.Join("; ", errors)));
                    continue;
                }

                states.TryGetValue(key, out var state);
                var fromTime = state?.State.LastDue is { } lastDue && lastDue > now ? lastDue : now;
                if (definition.Enabled && ScheduleTimeline.For(definition).Next(fromTime) is null && state?.State.Pending.Count is null or 0)
                {
                    // A schedule that ran its course (a one-shot that ran, one past its EndAt) is not a problem; one that never had a due time is.
                    if (state?.State.LastDue is not null)
                    {
                        finished++;
                        continue;
                    }

                    findings.Add(new Finding(id, "never fires", definition.EndAt is { } end && end <= now
                        ? $"EndAt {Times.Iso(end)} passed before it ever ran; move EndAt later or remove the entry"
                        : definition.Trigger is TriggerSpec.Once once
                            ? $"RunAt {Times.Iso(once.At)} had passed (beyond its misfire grace) before a dispatcher picked it up; set a later RunAt, or run it now with `scheduler schedules run {id}`"
                            : "no due time is left (a cron with no future match, or StartAt after EndAt); fix the trigger or remove the entry"));
                }
            }

            foreach (var state in states.Values)
            {
                if (state.State.LastStatus == RunStatus.Lost)
                {
                    findings.Add(new Finding(ScheduleIds.Show(state.Key), "lost with its host", state.State.LastError ?? "the last run died with its instance; its outcome is unknown"));
                }

                foreach (var stuck in state.State.InFlight.Where(r => r.LeaseUntil < now))
                {
                    findings.Add(new Finding(ScheduleIds.Show(state.Key), "stuck in flight",
                        $"attempt {stuck.Attempt} of {Times.Iso(stuck.Due)} was claimed by {stuck.Instance} and its lease ended at {Times.Iso(stuck.LeaseUntil)}; is any dispatcher running?"));
                }
            }

            if (output.Json)
            {
                output.WriteJson(findings);
            }
            else if (findings.Count == 0)
            {
                output.Line(LayoutLine(await session.Shards.RereadLayoutAsync(null, ct), now));
                output.Line(TzdbLine(states.Values.Select(s => s.State.Timing)));
                output.Line(FinishedLine(finished));
                output.Line("all schedules are healthy");
            }
            else
            {
                output.Line(LayoutLine(await session.Shards.RereadLayoutAsync(null, ct), now));
                output.Line(TzdbLine(states.Values.Select(s => s.State.Timing)));
                output.Line(FinishedLine(finished));
                output.Table($"{findings.Count} problem{(findings.Count == 1 ? "" : "s")}", ["id", "problem", "what to fix"], findings.Select(f => (IReadOnlyList<string?>)[f.Id, f.Problem, f.Detail]));
            }

            if (parse.GetValue(clear))
            {
                foreach (var record in quarantined)
                {
                    await session.Quarantine.ForgetAsync(record.Fault, ct);
                }

                output.Line($"forgot {quarantined.Count} quarantined row{(quarantined.Count == 1 ? "" : "s")}");
            }

            return findings.Count == 0 ? 0 : 1;
        }));
        return command;
    }

    /// <summary>Rows the host set aside, and rows that would be set aside when read: damaged state rows and due index rows naming no schedule.</summary>
    private static async Task<List<Finding>> UnreadableRowsAsync(CliSession session, IEnumerable<LoadedState> states, List<RowFault> badStates, IReadOnlyList<QuarantineRecord> quarantined, CancellationToken ct)
    {
        var findings = quarantined.Select(q => new Finding(
            $"{q.Fault.Table} row",
            "quarantined row",
            $"{q.Fault}; set aside {Times.Iso(q.LastSeenAt)} by {q.Instance}{(q.Original is { } o ? $"; as it was: {(o.Length > 300 ? o[..300] + "…" : o)}" : "")}")).ToList();
        var known = quarantined.Select(q => (q.Fault.Table, q.Fault.PartitionKey, q.Fault.RowKey)).ToHashSet();
        var layout = await session.States.LayoutAsync(ct);
        var unreported = badStates
            .Concat(states.Where(s => s.Faults.Count > 0).Select(s => new RowFault(session.Tables.State.Name, (s.Layout ?? layout).Partition(s.Key), (s.Layout ?? layout).StateRow(s.Key), string.Join("; ", s.Faults))))
            .Concat(await session.Index.FindBadRowsAsync(ct))
            .Where(f => !known.Contains((f.Table, f.PartitionKey, f.RowKey)));
        findings.AddRange(unreported.Select(f => new Finding($"{f.Table} row", "unreadable row", $"{f}; the dispatcher sets it aside when it reads it; fix or delete the row")));
        return findings;
    }

    private static string FinishedLine(int finished) => finished == 0
        ? "no schedule has finished"
        : $"{finished} schedule{(finished == 1 ? " has" : "s have")} run {(finished == 1 ? "its" : "their")} course (one-shots that ran, schedules past their EndAt): not a problem";

    /// <summary>Which layout the tables have, and how a move from layout 2 stands.</summary>
    internal static string LayoutLine(TablesLayout layout, DateTimeOffset now) => layout switch
    {
        { Move: { } move } when now < move.MovesFrom => $"tables: moving from layout 2 to 3, announced; rows move from {Times.Iso(move.MovesFrom)} ({layout.ShardCount} shards)",
        { Move: { Migrator: { } mover } move } when move.MigratorUntil > now => $"tables: moving from layout 2 to 3; {mover} is moving rows (its hold lasts until {Times.Iso(move.MigratorUntil)})",
        { Move: not null } => "tables: moving from layout 2 to 3; no host holds the move now (a running host of this version takes it over at its next try, within a minute)",
        { State: PerScheduleLayout } => $"tables: layout 2 ({layout.ShardCount} shards); the first host of this version to start moves them to layout 3 (README: Layouts)",
        _ => $"tables: layout {layout.Version} ({layout.ShardCount} shards)",
    };

    /// <summary>The tzdb release due times are computed with, and how many states were planned under another one.</summary>
    internal static string TzdbLine(IEnumerable<string?> timings)
    {
        var current = $"tzdb {TimeZones.TzdbVersion}";
        var older = timings.Count(t => t is not null && t.Contains("|tzdb ", StringComparison.Ordinal) && !t.EndsWith(current, StringComparison.Ordinal));
        return $"time zones: {current} (IANA, through NodaTime)" +
            (older > 0 ? $"; {older} schedule{(older == 1 ? " was" : "s were")} planned under another release and {(older == 1 ? "is" : "are")} planned again at the next due time" : "");
    }
}
