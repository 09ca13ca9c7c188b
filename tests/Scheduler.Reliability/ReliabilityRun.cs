using System.Globalization;
using Scheduler.Reliability.Harness;
using Scheduler.Reliability.Scenarios;

namespace Scheduler.Reliability;

/// <summary>
/// Runs the scenarios and prints (and with --report, writes) the figures. Exit code 1 if any scenario found a defect.
/// Usage: Scheduler.Reliability [quick|soak] [--only crash,outage,concurrency,fuzz,poison] [--report docs/reliability-run.md]
/// </summary>
internal static class ReliabilityRun
{
    public static readonly IReadOnlyDictionary<string, Func<ScenarioSize, TextWriter, Task<ScenarioReport>>> Scenarios =
        new Dictionary<string, Func<ScenarioSize, TextWriter, Task<ScenarioReport>>>
        {
            ["crash"] = CrashScenario.RunAsync,
            ["outage"] = OutageScenario.RunAsync,
            ["concurrency"] = ConcurrencyScenario.RunAsync,
            ["fuzz"] = FuzzScenario.RunAsync,
            ["poison"] = PoisonScenario.RunAsync,
            ["queue-duplicates"] = QueueDuplicatesScenario.RunAsync,
            ["edits"] = EditsUnderLoadScenario.RunAsync,
            ["hostile-rows"] = HostileRowsScenario.RunAsync,
            ["layout-move"] = LayoutMoveScenario.RunAsync,
        };

    public static async Task<int> MainAsync(string[] args, TextWriter output)
    {
        var size = args.Contains("soak") ? ScenarioSize.Soak : ScenarioSize.Quick;
        var only = Option(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reportPath = Option(args, "--report");
        var started = DateTimeOffset.UtcNow;
        var reports = new List<ScenarioReport>();
        foreach (var (name, run) in Scenarios.Where(s => only is null || only.Contains(s.Key)))
        {
            output.WriteLine($"scenario {name} ({size.Name})");
            var report = await run(size, output);
            output.WriteLine(report);
            reports.Add(report);
        }

        if (reportPath is not null)
        {
            await File.WriteAllTextAsync(reportPath, ReliabilityMarkdown.Render(size, started, reports));
            output.WriteLine($"wrote {reportPath}");
        }

        return reports.All(r => r.Passed) ? 0 : 1;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
