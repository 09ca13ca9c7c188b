using System.Globalization;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Core.Tests.Planning;

internal static class PlannerFixture
{
    public static readonly ValidationContext Context = new(new HashSet<string> { "job" }, new HashSet<string>());

    public static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    public static ScheduleDefinition Definition(params (string Name, object? Value)[] columns)
    {
        var all = new Dictionary<string, object?> { ["Job"] = "job" };
        foreach (var (name, value) in columns)
        {
            all[name] = value;
        }

        return ScheduleValidator.Validate(new ScheduleKey("default", "s"), all, Context);
    }

    public static DuePlanner Planner(ScheduleDefinition definition, string instance = "i1") =>
        new(definition, ScheduleTimeline.For(definition), instance);

    public static ScheduleState Planned(ScheduleDefinition definition, DateTimeOffset changedAt) =>
        DefinitionChange.Apply(null, definition, "etag-1", "{}", changedAt);
}
