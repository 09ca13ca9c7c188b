using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Scheduler.Reliability.Scenarios;

namespace Scheduler.Reliability.Harness;

/// <summary>The figures of one harness run as Markdown: a summary table, then each scenario's own figures.</summary>
internal static class ReliabilityMarkdown
{
    public static string Render(ScenarioSize size, DateTimeOffset started, IReadOnlyList<ScenarioReport> reports)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"Run `{size.Name}` started {started:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}.");
        md.AppendLine();
        md.AppendLine("| scenario | result | schedules | occurrences audited | kills | outages | fuzzed entries | duplicates | unaccounted | max tick | duration |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in reports)
        {
            md.AppendLine(inv, $"| {r.Name} | {(r.Passed ? "passed" : "**failed**")} | {r.Schedules} | {r.Occurrences} | {r.Kills} | {r.Outages} | {r.Fuzzed} | {r.Duplicates} | {r.Unaccounted} | {r.MaxTickMilliseconds} ms | {r.Duration.TotalSeconds:F0} s |");
        }

        foreach (var r in reports)
        {
            md.AppendLine();
            md.AppendLine(inv, $"### {r.Name}");
            md.AppendLine();
            md.AppendLine(inv, $"- fates: {string.Join(", ", r.Fates.Where(f => f.Value > 0).Select(f => $"{f.Key} {f.Value}"))}");
            foreach (var (name, value) in r.Figures)
            {
                md.AppendLine(inv, $"- {name}: {value}");
            }

            foreach (var problem in r.Problems.Take(20))
            {
                md.AppendLine(inv, $"- **problem**: {problem}");
            }
        }

        return md.ToString();
    }
}
