using System.Globalization;

namespace Scheduler.Bench;

public sealed record BenchOptions(int[] Sizes, int Repeats, int MemorySchedules, int LatencySchedules, TimeSpan LatencyWindow, string Output, string Command)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new BenchOptions(
            Get("--sizes")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() ?? [1_000, 10_000, 100_000],
            Int("--repeats", 3),
            Int("--memory-schedules", 100_000),
            Int("--latency-schedules", 10_000),
            TimeSpan.FromSeconds(Int("--latency-seconds", 120)),
            Get("--out") ?? "docs/benchmarks.md",
            Get("--command") ?? "bash bench/run.sh");
    }
}

public sealed class BenchResults
{
    public required BenchOptions Options { get; init; }
    public List<double> Ceiling { get; } = [];
    public List<ThroughputResult> Throughput { get; } = [];
    public List<LatencyResult> Latency { get; } = [];
    public long Memory { get; set; }
}
