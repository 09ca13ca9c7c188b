using System.CommandLine;
using Scheduler.Auditing;
using Scheduler.Admin;

namespace Scheduler.Cli.Commands;

/// <summary>`scheduler audit --from --to`: every occurrence's fate by the ledger; exits 1 on any unaccounted or duplicated one.</summary>
internal static class AuditCommand
{
    public static Command Create(CommandContext context)
    {
        var from = Moment.Option("--from", "Start of the window", required: true);
        var to = Moment.Option("--to", "End of the window; default now");
        var settle = new Option<int>("--settle") { Description = "Seconds before now that occurrences are still allowed to be undispatched (they are not judged yet)", DefaultValueFactory = _ => 120 };
        var command = new Command("audit", "List every occurrence each schedule should have had in a window and its fate: ran once, ran more than once, missed or skipped by policy, failed after retries, lost with its host, in progress, replaced by an edit, or unaccounted. Schedules edited, paused or removed in the window are audited across those changes. Exits 1 on any unaccounted or duplicated occurrence.\n\nExample: scheduler audit --from -1h --settle 30") { from, to, settle };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var now = session.Clock.GetUtcNow();
            var start = parse.GetValue(from)!.Resolve(now);
            var end = parse.GetValue(to)?.Resolve(now) ?? now;
            var settleSeconds = Math.Max(0, parse.GetValue(settle));
            var settledBefore = now.AddSeconds(-settleSeconds);
            if (end < start)
            {
                throw new CliUserException($"--to {Times.Iso(end)} is before --from {Times.Iso(start)}");
            }

            if (settledBefore < end)
            {
                output.Warn(settledBefore <= start
                    ? $"nothing to judge yet: the window {Times.Iso(start)} to {Times.Iso(end)} ends after {Times.Iso(settledBefore)}, the last moment --settle {settleSeconds} lets the audit judge (occurrences after it may not have been dispatched yet); pass a smaller --settle, such as --settle 0, or an earlier --from"
                    : $"the window is cut at {Times.Iso(settledBefore)} by --settle {settleSeconds} (occurrences after it may not have been dispatched yet); pass --settle 0 to judge up to {Times.Iso(end)}");
            }

            var audit = new LedgerAudit(session.Definitions, session.States, session.Published);
            var audits = await audit.AuditAsync(start, end, settledBefore, ct);
            if (audits.Sum(a => a.Result.Occurrences.Count) == 0 && settledBefore > start)
            {
                output.Warn($"no occurrence of any schedule was due between {Times.Iso(start)} and {Times.Iso(settledBefore < end ? settledBefore : end)}: nothing to judge");
            }

            var defects = audits.SelectMany(a => a.Result.Defects.Select(d => (a.Key, d))).ToList();
            if (output.Json)
            {
                output.WriteJson(audits.Select(a => new
                {
                    id = ScheduleIds.Show(a.Key),
                    from = Times.Iso(a.From),
                    to = Times.Iso(a.To),
                    fates = Enum.GetValues<OccurrenceFate>().ToDictionary(f => f.ToString(), a.Result.Count),
                    defects = a.Result.Defects.Select(d => new { due = Times.Iso(d.Due), fate = d.Fate.ToString(), d.Attempts }),
                    extraRuns = a.Result.ExtraRuns.Select(e => Times.Iso(e)),
                    note = a.Note,
                }));
            }
            else
            {
                output.Table("audit", ["id", "expected", "ran once", "skipped by job", "missed", "skipped", "failed", "lost with host", "in progress", "replaced by edit", "duplicated", "unaccounted", "note"],
                    audits.Select(a => (IReadOnlyList<string?>)
                    [
                        ScheduleIds.Show(a.Key), $"{a.Result.Occurrences.Count}", $"{a.Result.Count(OccurrenceFate.RanOnce)}", $"{a.Result.Count(OccurrenceFate.SkippedByJob)}",
                        $"{a.Result.Count(OccurrenceFate.MissedByPolicy)}", $"{a.Result.Count(OccurrenceFate.SkippedByOverlap)}", $"{a.Result.Count(OccurrenceFate.FailedAfterRetries)}",
                        $"{a.Result.Count(OccurrenceFate.LostWithHost)}", $"{a.Result.Count(OccurrenceFate.InProgress)}", $"{a.Result.Count(OccurrenceFate.ReplacedByEdit)}", $"{a.Result.Count(OccurrenceFate.RanMoreThanOnce)}", $"{a.Result.Count(OccurrenceFate.Unaccounted)}", a.Note,
                    ]));
                foreach (var (key, defect) in defects)
                {
                    output.Errors.WriteLine($"defect: {ScheduleIds.Show(key)} due {Times.Iso(defect.Due)}: {defect.Fate}");
                }
            }

            return defects.Count == 0 ? 0 : 1;
        }));
        return command;
    }
}
