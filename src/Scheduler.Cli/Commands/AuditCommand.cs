using System.CommandLine;
using Scheduler.Auditing;
using Scheduler.Azure.Admin;

namespace Scheduler.Cli.Commands;

/// <summary>`scheduler audit --from --to`: every occurrence's fate by the ledger; exits 1 on any unaccounted or duplicated one.</summary>
internal static class AuditCommand
{
    public static Command Create(CommandContext context)
    {
        var from = new Option<DateTimeOffset>("--from") { Description = "Start of the window (ISO 8601)", Required = true };
        var to = new Option<DateTimeOffset>("--to") { Description = "End of the window (ISO 8601; default now)" };
        var settle = new Option<int>("--settle") { Description = "Seconds before now that occurrences are still allowed to be undispatched", DefaultValueFactory = _ => 120 };
        var command = new Command("audit", "List every occurrence each schedule should have had in a window and its fate: ran once, ran more than once, missed or skipped by policy, failed after retries, in progress, or unaccounted. Exits 1 on any unaccounted or duplicated occurrence.\n\nExample: scheduler audit --from 2026-11-24T00:00Z --to 2026-11-24T12:00Z") { from, to, settle };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var now = session.Clock.GetUtcNow();
            var end = parse.GetResult(to) is { Implicit: false } ? parse.GetValue(to) : now;
            var audit = new LedgerAudit(session.Definitions, session.States, session.Published);
            var audits = await audit.AuditAsync(parse.GetValue(from), end, now.AddSeconds(-Math.Max(0, parse.GetValue(settle))), ct);
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
                output.Table("audit", ["id", "expected", "ran once", "skipped by job", "missed", "skipped", "failed", "lost with host", "in progress", "duplicated", "unaccounted", "note"],
                    audits.Select(a => (IReadOnlyList<string?>)
                    [
                        ScheduleIds.Show(a.Key), $"{a.Result.Occurrences.Count}", $"{a.Result.Count(OccurrenceFate.RanOnce)}", $"{a.Result.Count(OccurrenceFate.SkippedByJob)}",
                        $"{a.Result.Count(OccurrenceFate.MissedByPolicy)}", $"{a.Result.Count(OccurrenceFate.SkippedByOverlap)}", $"{a.Result.Count(OccurrenceFate.FailedAfterRetries)}",
                        $"{a.Result.Count(OccurrenceFate.LostWithHost)}", $"{a.Result.Count(OccurrenceFate.InProgress)}", $"{a.Result.Count(OccurrenceFate.RanMoreThanOnce)}", $"{a.Result.Count(OccurrenceFate.Unaccounted)}", a.Note,
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
