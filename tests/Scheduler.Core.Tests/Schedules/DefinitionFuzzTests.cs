using System.Globalization;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Testing;
using Scheduler.Triggers;

namespace Scheduler.Core.Tests.Schedules;

/// <summary>
/// Generated table entries (random strings, wrong column types, huge and negative numbers, control characters and
/// unicode, '..' and absolute paths, extreme dates, enormous Args): the validator either accepts or explains, and an
/// accepted definition plans without throwing.
/// </summary>
public sealed class DefinitionFuzzTests
{
    private static readonly ValidationContext Context = new(new HashSet<string> { "job" }, new HashSet<string> { "imports" });

    [Fact]
    public void ThousandsOfGeneratedEntries_AreAcceptedOrExplained_AndNeverThrow()
    {
        // Arrange
        var random = new Random(20261124);
        var now = DateTimeOffset.Parse("2026-11-24T12:00:00Z", CultureInfo.InvariantCulture);
        int valid = 0, invalid = 0;

        for (var i = 0; i < 5000; i++)
        {
            var columns = DefinitionGenerator.Entry(random, "job");
            var key = new ScheduleKey(random.Next(10) == 0 ? DefinitionGenerator.RandomString(random, 5) : "default", random.Next(10) == 0 ? DefinitionGenerator.RandomString(random, 200) : $"s{i}");

            // Act: nothing here may throw, and the snapshot a state row keeps always fits a Table property
            Assert.InRange(ColumnSnapshot.Serialize(columns).Length, 2, ColumnSnapshot.MaxLength);
            if (!ScheduleValidator.TryValidate(key, columns, Context, out var definition, out var errors))
            {
                // Assert: a refusal always says something
                Assert.NotEmpty(errors);
                Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e)));
                invalid++;
                continue;
            }

            valid++;
            var state = DefinitionChange.Apply(null, definition, "e", ColumnSnapshot.Serialize(columns), now);
            var planner = DuePlanner.For(definition, "fuzz");
            foreach (var at in new[] { now, now.AddMinutes(1), now.AddDays(2) })
            {
                var plan = planner.Plan(state, at);
                state = plan.State;
                planner.WakeAt(state);
            }

            ScheduleTimeline.For(definition).Preview(now, 3);
            Assert.NotNull(ScheduleDescription.Describe(definition.Trigger, definition.TimeZone));
            ColumnSnapshot.Deserialize(ColumnSnapshot.Serialize(columns));
        }

        Assert.True(valid > 500 && invalid > 1000, $"{valid} valid, {invalid} invalid: the generator should exercise both paths");
    }
}
