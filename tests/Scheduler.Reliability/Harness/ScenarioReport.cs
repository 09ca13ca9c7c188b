using System.Globalization;
using Scheduler.Auditing;

namespace Scheduler.Reliability.Harness;

/// <summary>What one scenario did and found. Problems are defects: any one fails the scenario.</summary>
internal sealed class ScenarioReport(string name)
{
    private readonly List<(string Name, string Value)> _figures = [];

    public string Name { get; } = name;
    public List<string> Problems { get; } = [];
    public Dictionary<OccurrenceFate, int> Fates { get; } = Enum.GetValues<OccurrenceFate>().ToDictionary(f => f, _ => 0);
    public int Occurrences => Fates.Values.Sum();
    public int Duplicates => Fates[OccurrenceFate.RanMoreThanOnce] + DuplicateExecutions;
    public int Unaccounted => Fates[OccurrenceFate.Unaccounted];
    public int DuplicateExecutions { get; set; }
    public int Schedules { get; set; }
    public int TimedOutAfterEffect { get; set; }
    public int LostAfterEffect { get; set; }
    public int Kills { get; set; }
    public int Outages { get; set; }
    public int Fuzzed { get; set; }
    public long MaxTickMilliseconds { get; set; }
    public TimeSpan Duration { get; set; }
    public bool Passed => Problems.Count == 0;

    /// <summary>What the hosts and the shard leases looked like at the audit, shown only when the scenario failed.</summary>
    public List<string> Diagnostics { get; } = [];
    public IReadOnlyList<(string Name, string Value)> Figures => _figures;

    public void Figure(string name, FormattableString value) => _figures.Add((name, value.ToString(CultureInfo.InvariantCulture)));

    public void Require(bool condition, string problem)
    {
        if (!condition)
        {
            Problems.Add(problem);
        }
    }

    public override string ToString() =>
        FormattableString.Invariant($"{Name}: {(Passed ? "passed" : "FAILED")} in {Duration.TotalSeconds:F0} s; {Occurrences} occurrences audited ({string.Join(", ", Fates.Where(f => f.Value > 0).Select(f => $"{f.Key} {f.Value}"))}), ") +
            FormattableString.Invariant($"{Duplicates} duplicates, {Unaccounted} unaccounted, {Kills} kills, {Outages} outages, {Fuzzed} fuzzed, max tick {MaxTickMilliseconds} ms") +
            string.Concat(_figures.Select(f => $"; {f.Name}: {f.Value}")) +
            (Passed ? "" : "\n  problems:\n  - " + string.Join("\n  - ", Problems.Take(30))) +
            (Passed || Diagnostics.Count == 0 ? "" : "\n  at the audit:\n  " + string.Join("\n  ", Diagnostics));
}
