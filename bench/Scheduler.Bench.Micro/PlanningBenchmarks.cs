using System.Globalization;
using BenchmarkDotNet.Attributes;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Bench.Micro;

/// <summary>
/// The pure planning code a tick runs per due schedule: validating an entry into a definition, computing its next
/// occurrence (Cronos, time zones, intervals) and planning what is due for 100,000 schedules at once.
/// </summary>
[MemoryDiagnoser]
public class PlanningBenchmarks
{
    public const int Schedules = 100_000;

    private static readonly ValidationContext Context = new(new HashSet<string> { "noop" }, new HashSet<string>());
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 30, TimeSpan.Zero);

    private ScheduleTimeline _cronUtc = null!;
    private ScheduleTimeline _cronZoned = null!;
    private ScheduleTimeline _interval = null!;
    private DuePlanner[] _planners = null!;
    private ScheduleState[] _states = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cronUtc = ScheduleTimeline.For(Definition(0, ("Cron", "*/5 * * * *")));
        _cronZoned = ScheduleTimeline.For(Definition(0, ("Cron", "30 2 * * *"), ("TimeZone", "Europe/Berlin")));
        _interval = ScheduleTimeline.For(Definition(0, ("Interval", "00:00:45")));

        // A realistic mix: every minute at a spread second, hourly in a time zone, fixed intervals.
        var definitions = Enumerable.Range(0, Schedules).Select(i => (i % 3) switch
        {
            0 => Definition(i, ("Cron", string.Create(CultureInfo.InvariantCulture, $"{i % 60} * * * * *"))),
            1 => Definition(i, ("Cron", string.Create(CultureInfo.InvariantCulture, $"{i % 60} * * * *")), ("TimeZone", "America/New_York")),
            _ => Definition(i, ("Interval", string.Create(CultureInfo.InvariantCulture, $"00:{1 + (i % 30):D2}:00"))),
        }).ToArray();
        _planners = definitions.Select(d => DuePlanner.For(d, "bench")).ToArray();
        _states = definitions.Select(d => DefinitionChange.Apply(null, d, "etag", "{}", Now.AddHours(-1))).ToArray();
    }

    [Benchmark]
    public DateTimeOffset? NextOccurrence_CronUtc() => _cronUtc.Next(Now);

    [Benchmark]
    public DateTimeOffset? NextOccurrence_CronInTimeZone() => _cronZoned.Next(Now);

    [Benchmark]
    public DateTimeOffset? NextOccurrence_Interval() => _interval.Next(Now);

    [Benchmark]
    public object ValidateEntry() => Definition(7, ("Cron", "*/5 * * * *"), ("TimeZone", "Europe/Berlin"));

    /// <summary>Plans every one of 100,000 schedules at once (the worst tick: all of them due), with the wake time each would write to the due index.</summary>
    [Benchmark]
    public int DuePlanning_100k()
    {
        var claims = 0;
        for (var i = 0; i < _planners.Length; i++)
        {
            var plan = _planners[i].Plan(_states[i], Now, Now);
            claims += plan.Claims.Count;
            _ = _planners[i].WakeAt(plan.State);
        }

        return claims;
    }

    private static ScheduleDefinition Definition(int i, params (string Name, object? Value)[] columns)
    {
        var all = new Dictionary<string, object?> { ["Job"] = "noop" };
        foreach (var (name, value) in columns)
        {
            all[name] = value;
        }

        return ScheduleValidator.Validate(new ScheduleKey("bench", string.Create(CultureInfo.InvariantCulture, $"s{i:D6}")), all, Context);
    }
}
