using System.Globalization;

namespace Scheduler.Bench;

public sealed record BenchOptions(int[] Sizes, int Repeats, int MemorySchedules, int[] LatencyLoads, TimeSpan LatencyWindow, TimeSpan DrainCap, int[] IdleSizes, string Output, string Command, string? Postgres, IReadOnlySet<string> Parts, int ImportRows = 1_000_000, TimeSpan AzureLatency = default, double ProcessCores = 0)
{
    /// <summary>What --only may name; all of them by default.</summary>
    public static readonly string[] AllParts = ["throughput", "latency", "memory", "quartz", "import", "shards", "processes", "move"];

    public bool Runs(string part) => Parts.Contains(part);

    /// <summary>The parts the targets table draws on all ran: it is written (import and shards have sections of their own).</summary>
    public bool RunsTargets => new[] { "throughput", "latency", "memory", "quartz", "processes" }.All(Parts.Contains);

    /// <summary>
    /// Defaults are what docs/benchmarks.md shows (about 35 minutes on 2 cores). Throughput and memory at 100,000
    /// (<c>--sizes 1000,10000,100000 --memory-schedules 100000</c>) need 100,000 entries ingested, which this Azurite
    /// had not finished after 12 minutes: hours in all.
    /// </summary>
    public static BenchOptions Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int[] Ints(string name, int[] fallback) => Get(name)?.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() ?? fallback;
        return new BenchOptions(
            Ints("--sizes", [1_000, 10_000]),
            Int("--repeats", 3),
            Int("--memory-schedules", 20_000),
            Ints("--latency-schedules", [10_000, 2_000]),
            TimeSpan.FromSeconds(Int("--latency-seconds", 60)),
            TimeSpan.FromSeconds(Int("--drain-seconds", 120)),
            Ints("--idle-sizes", [100_000]),
            Get("--out") ?? "docs/benchmarks.md",
            Get("--command") ?? "bash bench/run.sh",
            Get("--postgres"),
            (Get("--only")?.Split(',') ?? AllParts).ToHashSet(StringComparer.Ordinal),
            Int("--import-rows", 1_000_000),
            TimeSpan.FromMilliseconds(Int("--azure-latency-ms", 8)),
            Get("--process-cores") is { } cores ? double.Parse(cores, CultureInfo.InvariantCulture) : 0.3);
    }
}

public sealed class BenchResults
{
    public required BenchOptions Options { get; init; }
    public List<double> Ceiling { get; } = [];
    public List<double> CeilingTransactions { get; } = [];
    public List<ThroughputResult> Throughput { get; } = [];
    public List<LatencyResult> Latency { get; } = [];
    public long Memory { get; set; }
    /// <summary>Occurrences the memory child ran on a shared throughput prefix (the next drain has that many fewer).</summary>
    public int MemoryChildRuns { get; set; }
    public List<(int Schedules, (long IdleTick, long EditScan) Requests)> Idle { get; } = [];
    public List<QuartzThroughputResult> QuartzThroughput { get; } = [];
    public List<QuartzLatencyResult> QuartzLatency { get; } = [];
    public List<QuartzLatencyResult> QuartzMemory { get; } = [];
    public List<ProcessDrainResult> Processes { get; } = [];
}
