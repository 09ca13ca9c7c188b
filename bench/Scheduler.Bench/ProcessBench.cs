using System.Globalization;
using System.Text;

namespace Scheduler.Bench;

public sealed record ProcessDrainResult(
    string Profile, int Schedules, int Processes, double IngestSeconds, int Done, double Seconds, double OccurrencesPerSecond,
    double RequestsPerOccurrence, long Conflicts, long Throttled, long PeakWorkingSet, double MeanInFlight, long PeakInFlight, double CoresEach, double SteadyPerSecond)
{
    /// <summary>What CPU each process had: this machine's cores, shared, or its own share of one.</summary>
    public string Cpu => CoresEach > 0 ? FormattableString.Invariant($"{CoresEach:0.##} of a core") : "shared";

    /// <summary>This is the one-process run that <paramref name="run"/> compares with.</summary>
    public bool IsOneProcessOf(ProcessDrainResult run) =>
        Processes == 1 && Schedules == run.Schedules && Profile == run.Profile && CoresEach == run.CoresEach;

    public override string ToString() => FormattableString.Invariant(
        $"processes: {Profile}, CPU {Cpu}, {Schedules:N0} x {Processes}: {Done:N0} in {Seconds:F0} s, {OccurrencesPerSecond:F0} occ/s ({SteadyPerSecond:F0} once running), {RequestsPerOccurrence:F2} requests/occ, {Conflicts} conflicts, {Throttled} throttled, requests outstanding per process {MeanInFlight:F1} on average, {PeakInFlight} at most, peak {PeakWorkingSet / 1048576.0:F0} MiB");
}

/// <summary>
/// Instances as they scale out: N one-off schedules due at once, drained by 1 or 3 dispatcher processes
/// (<see cref="DispatchNode"/>) that share the shards by lease, on the Azure profile, where each request waits a round
/// trip as on Azure and an instance's concurrency, not this machine's two cores, bounds what it does. Each size runs
/// twice: processes as they are, sharing this machine's cores with Azurite and each other, and (given a share) each
/// held to its own share of a core (<see cref="CpuBudget"/>), as instances that each bring their own compute.
/// </summary>
public static class ProcessBench
{
    private const string Begin = "<!-- processes:begin -->";
    private const string End = "<!-- processes:end -->";

    /// <param name="coresEach">The share of a core each process is held to in the second runs; 0 for none.</param>
    public static async Task<List<ProcessDrainResult>> RunAsync(string connectionString, int[] sizes, TimeSpan latency, TimeSpan cap, double coresEach, TextWriter log)
    {
        var results = new List<ProcessDrainResult>();
        foreach (var cores in coresEach > 0 ? new[] { 0, coresEach } : [0])
        {
            foreach (var size in sizes)
            {
                foreach (var processes in new[] { 1, 3 })
                {
                    var (prefix, ingest) = await ThroughputBench.SeedAsync(connectionString, size);
                    if (await DrainAsync(connectionString, prefix, size, processes, ingest, latency, cap, cores, log) is not { } run)
                    {
                        return results;
                    }

                    results.Add(run);
                    log.WriteLine(run);
                }
            }
        }

        return results;
    }

    private static async Task<ProcessDrainResult?> DrainAsync(
        string connectionString, string prefix, int schedules, int processes, double ingest, TimeSpan latency, TimeSpan cap, double coresEach, TextWriter log)
    {
        var nodes = new List<NodeProcess>();
        var budgets = new List<CpuBudget>();
        try
        {
            for (var i = 1; i <= processes; i++)
            {
                if (coresEach > 0)
                {
                    if (CpuBudget.TryCreate($"p{i}", coresEach, out var why) is not { } budget)
                    {
                        log.WriteLine($"processes: no runs with a share of a core each: {why}");
                        return null;
                    }

                    budgets.Add(budget);
                }

                var held = coresEach > 0 ? budgets[^1] : null;
                nodes.Add(NodeProcess.Start("dispatch", held, DispatchNode.Arguments(connectionString, prefix, $"p{i}", latency)));
            }

            foreach (var node in nodes)
            {
                await node.ReadyAsync();
            }

            var drain = await NodeProcess.DrainAsync(nodes, schedules, cap, $"{processes} dispatcher processes");
            var (ran, seconds) = (drain.Ran, drain.Seconds);
            long Sum(string stat) => nodes.Sum(n => n.Stats.GetValueOrDefault(stat));
            return new ProcessDrainResult(
                latency > TimeSpan.Zero ? $"Azure profile ({latency.TotalMilliseconds:F0} ms)" : "Azurite", schedules, processes, ingest, ran, seconds,
                ran / seconds, (double)Sum("requests") / Math.Max(1, ran), Sum("conflicts"), Sum("throttled"), drain.PeakWorkingSet,
                Sum("busy-ms") / 1000.0 / seconds / processes, nodes.Max(n => n.Stats.GetValueOrDefault("peak-in-flight")), coresEach, drain.SteadyRate);
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }

            foreach (var budget in budgets)
            {
                budget.Dispose();
            }
        }
    }

    public static string Merge(string page, IReadOnlyList<ProcessDrainResult> runs, string command)
    {
        var text = new StringBuilder();
        text.AppendLine(Begin).AppendLine();
        text.AppendLine("### Scale-out: 1 and 3 dispatcher processes on the Azure profile").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Generated by `{command}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, Azurite in memory. N one-off schedules due at once (8 shards), drained by 1 or 3 dispatcher processes sharing the shards by lease; each process's requests pass the Azure profile (its own: the partition and account limits are per process here, far above these rates). \"CPU a process\": \"shared\" runs the processes as they are, sharing this machine's cores with Azurite and each other (one dispatcher takes what Azurite leaves, so this measures the machine); a share of a core holds each process to that share by a control group's CPU quota, as instances that each bring their own compute, which is what scaling out adds on Azure. Throughput is runs over the time from the start to the last run recorded (and, in brackets, from the first run to the last: once running, leaving out start-up); a drain stops at its cap.").AppendLine();
        text.AppendLine("| store | CPU a process | schedules | processes | occurrences/s (once running) | vs 1 process (once running) | requests per occurrence | claim conflicts | 503 answers | requests outstanding per process (mean / peak) | peak working set (largest process) | drained |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var run in runs)
        {
            var one = runs.FirstOrDefault(r => r.IsOneProcessOf(run));
            var versus = one is null ? "" : FormattableString.Invariant(
                $"{run.OccurrencesPerSecond / one.OccurrencesPerSecond:F2}x ({run.SteadyPerSecond / Math.Max(1, one.SteadyPerSecond):F2}x)");
            text.AppendLine(CultureInfo.InvariantCulture, $"| {run.Profile} | {run.Cpu} | {run.Schedules:N0} | {run.Processes} | {run.OccurrencesPerSecond:F0} ({run.SteadyPerSecond:F0}) | {versus} | {run.RequestsPerOccurrence:F2} | {run.Conflicts:N0} | {run.Throttled:N0} | {run.MeanInFlight:F1} / {run.PeakInFlight} | {run.PeakWorkingSet / 1048576.0:F0} MiB | {(run.Done >= run.Schedules ? "all" : $"{run.Done:N0} in {run.Seconds:F0} s")} |");
        }

        text.AppendLine().Append(End);
        return Sections.Replace(page, Begin, End, text.ToString());
    }
}
