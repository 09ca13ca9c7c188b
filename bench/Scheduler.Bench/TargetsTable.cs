using System.Globalization;
using System.Text;
using Scheduler.Sharding;

namespace Scheduler.Bench;

/// <summary>
/// The targets table of docs/benchmarks.md, written from the figures of the run that writes the rest of the page (a
/// hand-written table beside generated numbers goes stale). A target whose figures this run did not measure says so.
/// </summary>
public static class TargetsTable
{
    public const string Begin = "<!-- targets:begin -->";
    public const string End = "<!-- targets:end -->";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string NotMeasured = "not measured in this run";

    public static string Merge(string page, BenchResults r)
    {
        var md = new StringBuilder();
        md.AppendLine(Begin).AppendLine();
        md.AppendLine(Inv, $"Written by `{r.Options.Command}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC from the figures under \"Raw numbers\" below, same run.").AppendLine();
        md.AppendLine("| target | measured | met? |");
        md.AppendLine("|---|---|---|");
        foreach (var (target, measured, met) in Rows(r))
        {
            md.AppendLine(Inv, $"| {target} | {measured} | {met} |");
        }

        md.AppendLine().Append(End);
        return Sections.Replace(page, Begin, End, md.ToString());
    }

    public static IEnumerable<(string Target, string Measured, string Met)> Rows(BenchResults r)
    {
        yield return RequestsPerOccurrence(r);
        yield return ScaleOut(r);
        yield return AheadOfQuartz(r);
        yield return Ceiling(r);
        yield return Large(r);
        yield return Latency(r);
        yield return IdleTick(r);
    }

    private static (string, string, string) RequestsPerOccurrence(BenchResults r)
    {
        const string target = "at most 0.5 storage requests per occurrence at 1,000 and 10,000 schedules, one instance";
        var figures = r.Throughput.Where(t => t.Dispatchers == 1 && t.Schedules <= 10_000).GroupBy(t => t.Schedules)
            .Select(g => (g.Key, Value: Stats.Median(g.Select(t => t.RequestsPerOccurrence)))).ToList();
        return figures.Count == 0
            ? (target, NotMeasured, "")
            : (target, string.Join("; ", figures.Select(f => string.Create(Inv, $"{f.Value:F2} at {f.Key:N0}"))), YesNo(figures.All(f => f.Value <= 0.5)));
    }

    private static (string, string, string) ScaleOut(BenchResults r)
    {
        const string target = "3 instances at least 2x one instance's throughput at 10,000 (3 processes, Azure profile)";
        var ratios = r.Processes.Where(p => p.Processes == 3)
            .Select(three => (three, one: r.Processes.FirstOrDefault(p => p.IsOneProcessOf(three))))
            .Where(p => p.one is not null)
            .Select(p => (p.three.Schedules, p.three.Cpu, p.three.CoresEach, Ratio: p.three.OccurrencesPerSecond / p.one!.OccurrencesPerSecond, One: p.one.OccurrencesPerSecond, Three: p.three.OccurrencesPerSecond))
            .ToList();
        if (ratios.Count == 0)
        {
            return (target, NotMeasured, "");
        }

        var measured = string.Join("; ", ratios.Select(x => string.Create(Inv, $"{x.Ratio:F2}x at {x.Schedules:N0}, CPU {x.Cpu} ({x.Three:F0} against {x.One:F0} occurrences/s)")));
        // Instances that each bring their own compute are what scaling out adds; on shared cores it is the machine that is measured.
        var at10k = ratios.Where(x => x.Schedules == 10_000).ToList();
        var own = at10k.Where(x => x.CoresEach > 0).ToList();
        var judged = own.Count > 0 ? own : at10k;
        var met = judged.Count == 0 ? "not measured at 10,000" : YesNo(judged.All(x => x.Ratio >= 2));
        return (target, measured, own.Count > 0 ? $"{met} (each process its own {own[0].Cpu})" : $"{met} (cores shared)");
    }

    private static (string, string, string) AheadOfQuartz(BenchResults r)
    {
        const string target = "ahead of Quartz.NET on PostgreSQL at 1,000 and 10,000, with 1 and 3 nodes (ours: dispatchers in one process, Azurite as it is)";
        var ratios = r.Throughput.Where(t => t.Schedules <= 10_000).GroupBy(t => (t.Schedules, t.Dispatchers))
            .Select(g => (g.Key, Ours: Stats.Median(g.Select(t => t.OccurrencesPerSecond)),
                Peer: r.QuartzThroughput.Where(q => q.Store == "postgres" && q.Schedules == g.Key.Schedules && q.Nodes == g.Key.Dispatchers).Select(q => q.OccurrencesPerSecond).ToList()))
            .Where(x => x.Peer.Count > 0)
            .Select(x => (x.Key, Ratio: x.Ours / Stats.Median(x.Peer)))
            .ToList();
        return ratios.Count == 0
            ? (target, NotMeasured, "")
            : (target, string.Join("; ", ratios.Select(x => string.Create(Inv, $"{x.Ratio:F2}x at {x.Key.Schedules:N0} x {x.Key.Dispatchers}"))), YesNo(ratios.All(x => x.Ratio > 1)));
    }

    private static (string, string, string) Ceiling(BenchResults r)
    {
        const string target = "throughput at least 50% of the conditional-update ceiling (one instance)";
        var one = r.Throughput.Where(t => t.Dispatchers == 1 && t.Schedules == 1_000).ToList();
        if (one.Count == 0 || r.Ceiling.Count == 0)
        {
            return (target, NotMeasured, "");
        }

        var share = Stats.Median(one.Select(t => t.OccurrencesPerSecond)) / Stats.Median(r.Ceiling);
        return (target, string.Create(Inv, $"{share:P0} at 1,000 ({Stats.Median(one.Select(t => t.OccurrencesPerSecond)):F0} of {Stats.Median(r.Ceiling):F0}/s)"), YesNo(share >= 0.5));
    }

    private static (string, string, string) Large(BenchResults r)
    {
        const string target = "100,000 schedules: ingest time, a due minute dispatched, requests per occurrence, a dispatcher's peak working set at most 150 MB";
        var large = r.Throughput.Where(t => t.Schedules >= 100_000).ToList();
        var memory = r.Options.MemorySchedules >= 100_000 && r.Memory > 0 ? r.Memory : (long?)null;
        if (large.Count == 0 && memory is null)
        {
            return (target, NotMeasured, "");
        }

        var parts = large.Select(t => string.Create(Inv, $"{t.Dispatchers} dispatcher(s): ingest {t.IngestSeconds:F0} s, {t.Done:N0} of {t.Schedules:N0} occurrences in {t.Seconds:F0} s ({t.OccurrencesPerSecond:F0}/s), {t.RequestsPerOccurrence:F2} requests each")).ToList();
        parts.Add(memory is { } peak ? string.Create(Inv, $"peak working set {peak / 1048576.0:F0} MiB") : "working set not measured at 100,000");
        return (target, string.Join("; ", parts), memory is { } m ? YesNo(m <= 150L * 1000 * 1000) + " (working set)" : "");
    }

    private static (string, string, string) Latency(BenchResults r)
    {
        const string target = "due-to-start p99 at most 1 s at 10,000 schedules a minute (precise firing)";
        var precise = r.Latency.Where(l => l.Precise && l.Schedules >= 10_000).ToList();
        if (precise.Count == 0)
        {
            return (target, NotMeasured, "");
        }

        var l = precise[0];
        var started = l.Runs >= 0.99 * l.DueInWindow;
        var measured = started
            ? string.Create(Inv, $"p99 {l.P99:F0} ms (p50 {l.P50:F0} ms) at {l.Schedules:N0} a minute")
            : string.Create(Inv, $"{1 - ((double)l.Runs / l.DueInWindow):P0} of {l.DueInWindow:N0} due in the window not started (p50 of those that did {l.P50:F0} ms)");
        var small = r.Latency.FirstOrDefault(x => x.Precise && x.Schedules < 10_000 && x.Runs >= 0.99 * x.DueInWindow);
        if (small is not null)
        {
            measured += string.Create(Inv, $"; p99 {small.P99:F0} ms at {small.Schedules:N0} a minute");
        }

        return (target, measured, YesNo(started && l.P99 <= 1000));
    }

    private static (string, string, string) IdleTick(BenchResults r)
    {
        var shards = ShardMap.DefaultCount;
        var target = string.Create(Inv, $"an idle tick at most S + 1 = {shards + 1} storage requests (S = {shards} shards), and an idle deployment's cost per month stated");
        if (r.Idle.Count == 0)
        {
            return (target, NotMeasured, "");
        }

        var (schedules, requests) = r.Idle.MaxBy(i => i.Schedules);
        const double ticksPerMonth = 60 * 24 * 30;
        var monthly = ticksPerMonth * (requests.IdleTick + requests.EditScan) / 10_000 * BenchMarkdown.PricePer10kTransactions;
        var measured = string.Create(Inv,
            $"{requests.IdleTick} at {schedules:N0} (the {shards} index reads and the lease refresh of a tick that finds its leases lapsed, as a tick a minute after the last does); with the edit scan every tick ({requests.EditScan} requests) USD {monthly:F2} a month");
        return (target, measured, YesNo(requests.IdleTick <= shards + 1));
    }

    private static string YesNo(bool met) => met ? "yes" : "no";
}
