using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Jobs;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>The dispatcher's parsed definitions stay bounded however many schedules run (pure, no storage).</summary>
public sealed class DefinitionResolverTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EverySchedulesDefinitionResolved_KeepsAtMostTwoGenerationsParsed_AndStillResolvesEachCorrectly()
    {
        var options = new SchedulerOptions();
        var catalog = new JobCatalog([new JobRegistration("noop", typeof(object), "", "{}")], options);
        var resolver = new DefinitionResolver(catalog, options);
        var schedules = (3 * DefinitionResolver.CacheGeneration) + 17;

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < schedules; i++)
            {
                var key = new ScheduleKey("bulk", $"s{i}");
                var columns = new Dictionary<string, object?> { ["Job"] = "noop", ["Cron"] = $"{i % 60} * * * *" };
                var definition = ScheduleValidator.Validate(key, columns, catalog.Validation);
                var state = DefinitionChange.Apply(null, definition, $"W/\"{i}\"", ColumnSnapshot.Serialize(columns), Now);

                Assert.True(resolver.TryResolve(key, state, out var resolved, out var errors), string.Join("; ", errors));
                Assert.Equal(key, resolved!.Key);
                Assert.InRange(resolver.Cached, 1, 2 * DefinitionResolver.CacheGeneration);
            }
        }
    }
}
