using System.CommandLine;
using System.Globalization;
using Scheduler.Storage;
using Scheduler.Runs;

namespace Scheduler.Cli.Commands;

/// <summary>`scheduler runs ID`: the ledger.</summary>
internal static class RunsCommand
{
    public static Command Create(CommandContext context)
    {
        var id = ScheduleIds.Argument();
        var last = new Option<int>("--last") { Description = "How many rows, newest first", DefaultValueFactory = _ => 20 };
        var status = new Option<RunStatus?>("--status") { Description = "Only rows with this status (Running, Succeeded, Failed, TimedOut, Skipped, Missed)" };
        var command = new Command("runs", "A schedule's run ledger: each attempt with its times, duration, instance and error.\n\nExample: scheduler runs nightly-import --last 50 --status Failed") { id, last, status };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var key = ScheduleIds.Parse(parse.GetValue(id)!);
            var only = parse.GetValue(status);
            var take = Math.Clamp(parse.GetValue(last), 1, 10_000);
            var rows = (await session.States.ReadRunsAsync(key, only is null ? take : int.MaxValue, ct)).Where(r => only is null || r.Status == only).Take(take).ToList();
            if (output.Json)
            {
                output.WriteJson(rows.Select(ToJson));
            }
            else
            {
                Print(output, $"runs of {ScheduleIds.Show(key)}", rows);
            }

            return 0;
        }));
        return command;
    }

    public static void Print(Output output, string title, IEnumerable<LedgerEntry> rows) =>
        output.Table(title, ["due", "attempt", "status", "started", "duration", "instance", "error / reason"], rows.Select(r => (IReadOnlyList<string?>)
        [
            Times.Iso(r.Due) + (r.Count > 1 ? $" (+{r.Count - 1} to {Times.Iso(r.LastDue)})" : ""),
            r.Attempt == 0 ? "" : r.Attempt.ToString(CultureInfo.InvariantCulture),
            r.Status.ToString(),
            Times.Iso(r.StartedAt),
            r.Duration is { } d ? $"{d.TotalMilliseconds:0} ms" : null,
            r.Instance,
            r.Fault is { } fault ? $"unreadable ledger row {r.RowKey}: {fault}"
                : r.ErrorMessage is { } e ? $"{r.ErrorType}: {e}" : r.Status is RunStatus.Skipped or RunStatus.Missed ? r.Reason : null,
        ]));

    public static object ToJson(LedgerEntry r) => new
    {
        due = Times.Iso(r.Due),
        r.Attempt,
        status = r.Status.ToString(),
        startedAt = Times.Iso(r.StartedAt),
        finishedAt = Times.Iso(r.FinishedAt),
        durationMs = r.Duration?.TotalMilliseconds,
        r.Instance,
        r.Reason,
        r.ErrorType,
        r.ErrorMessage,
        r.Count,
        lastDue = Times.Iso(r.LastDue),
        r.Fault,
    };
}
