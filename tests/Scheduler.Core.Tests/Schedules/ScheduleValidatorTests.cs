using Scheduler.Schedules;

namespace Scheduler.Core.Tests.Schedules;

public sealed class ScheduleValidatorTests
{
    private static readonly ScheduleKey Key = new("default", "nightly");
    private static readonly ValidationContext Context = new(new HashSet<string> { "file-import", "heartbeat" }, new HashSet<string> { "imports" });

    private static IReadOnlyList<string> Errors(params (string Name, object? Value)[] columns)
    {
        var dictionary = columns.ToDictionary(c => c.Name, c => c.Value);
        ScheduleValidator.TryValidate(Key, dictionary, Context, out _, out var errors);
        return errors;
    }

    [Theory]
    [InlineData("0 */5 * *", "Cron \"0 */5 * *\" has 4 fields; use 5 (minute precision, e.g. \"*/5 * * * *\") or 6 (with seconds, e.g. \"*/10 * * * * *\")")]
    [InlineData("* * * * * * *", "Cron \"* * * * * * *\" has 7 fields; use 5")]
    [InlineData("61 * * * *", "Cron \"61 * * * *\" is not valid")]
    [InlineData("* * 32 * *", "Cron \"* * 32 * *\" is not valid")]
    public void TryValidate_ExplainsBadCron(string cron, string expectedStart)
    {
        // Act
        var errors = Errors(("Job", "heartbeat"), ("Cron", cron));

        // Assert
        Assert.StartsWith(expectedStart, Assert.Single(errors));
    }

    public static TheoryData<string, (string, object?)[], string> InvalidEntries => new()
    {
        { "unknown time zone", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("TimeZone", "Mars/Olympus")], "TimeZone \"Mars/Olympus\" is not a known zone; use an IANA id" },
        { "unknown job", [("Job", "fiel-import"), ("Cron", "0 9 * * *")], "Job \"fiel-import\" is not registered; use one of: file-import, heartbeat" },
        { "missing job", [("Cron", "0 9 * * *")], "Job is missing" },
        { "args array", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("Args", "[1,2]")], "Args must be a JSON object such as {\"delimiter\":\";\"}; found a JSON array" },
        { "args not json", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("Args", "{delimiter: ;}")], "Args is not valid JSON" },
        { "zero interval", [("Job", "heartbeat"), ("Interval", "00:00:00")], "Interval \"00:00:00\" is zero or negative; use at least 1 second" },
        { "negative interval", [("Job", "heartbeat"), ("Interval", "-00:05:00")], "Interval \"-00:05:00\" is zero or negative" },
        { "bad interval", [("Job", "heartbeat"), ("Interval", "often")], "Interval \"often\" is not a duration" },
        { "interval past TimeSpan", [("Job", "heartbeat"), ("Interval", "100000000d")], "Interval \"100000000d\" is longer than 100 years (36525 days)" },
        { "interval past long", [("Job", "heartbeat"), ("Interval", "99999999999999999s")], "Interval \"99999999999999999s\" is longer than 100 years" },
        { "interval just past 100 years", [("Job", "heartbeat"), ("Interval", "36526d")], "is longer than 100 years" },
        { "end before start", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("StartAt", "2026-12-01T00:00:00Z"), ("EndAt", "2026-11-01T00:00:00Z")], "EndAt 2026-11-01T00:00:00.0000000+00:00 is not after StartAt" },
        { "no trigger", [("Job", "heartbeat")], "no trigger: set exactly one of Cron" },
        { "two triggers", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("Interval", "5m")], "Cron and Interval are both set; keep exactly one" },
        { "three triggers", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("Interval", "5m"), ("RunAt", "2026-12-01T09:00:00Z")], "Cron and Interval and RunAt are all set" },
        { "number as words", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("MaxAttempts", "three")], "MaxAttempts must be a whole number; found the string \"three\"" },
        { "fraction for integer", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("MaxAttempts", 2.5)], "MaxAttempts must be a whole number; found the number 2.5" },
        { "number out of range", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("MaxAttempts", -1)], "MaxAttempts is -1; use a value from 1 to 100" },
        { "bool as number", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("Enabled", 1)], "Enabled must be true or false; found the number 1" },
        { "cron as number", [("Job", "heartbeat"), ("Cron", 5)], "Cron must be a string; found the number 5" },
        { "date as bool", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("StartAt", true)], "StartAt must be a date and time; found the boolean true" },
        { "bad enum", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("Overlap", "Sometimes")], "Overlap \"Sometimes\" is not one of Skip, BufferOne, BufferAll, AllowAll" },
        { "enum as number", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("Coalesce", "1")], "Coalesce \"1\" is not one of Latest, Earliest, All, None" },
        { "input with dotdot", [("Job", "file-import"), ("Cron", "0 9 * * *"), ("Input", "imports/../secrets/")], "Input \"imports/../secrets/\" contains '.' or '..' segments" },
        { "input absolute", [("Job", "file-import"), ("Cron", "0 9 * * *"), ("Input", "/etc/passwd")], "must be a relative container/prefix" },
        { "input url", [("Job", "file-import"), ("Cron", "0 9 * * *"), ("Input", "https://evil.example/x")], "must be a relative container/prefix" },
        { "input other container", [("Job", "file-import"), ("Cron", "0 9 * * *"), ("Input", "secrets/keys/")], "Input container \"secrets\" is not allowed; use one of: imports" },
        { "input bad container name", [("Job", "file-import"), ("Cron", "0 9 * * *"), ("Input", "Imports_Big/")], "is not a blob container name" },
        { "concurrency without allowall", [("Job", "heartbeat"), ("Cron", "0 9 * * *"), ("MaxConcurrency", 4)], "MaxConcurrency 4 only applies with Overlap=AllowAll" },
        { "bad runat", [("Job", "heartbeat"), ("RunAt", "tomorrow at nine")], "RunAt \"tomorrow at nine\" is not a date and time" },
    };

    [Theory]
    [MemberData(nameof(InvalidEntries))]
    public void TryValidate_RejectsWithActionableMessage_WhenEntryIsInvalid(string because, (string, object?)[] columns, string expected)
    {
        // Act
        var errors = Errors(columns);

        // Assert
        Assert.True(errors.Count > 0, because);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TryValidate_ReportsEveryProblem_WhenSeveralColumnsAreWrong()
    {
        // Act
        var errors = Errors(("Job", "nope"), ("Cron", "bad"), ("TimeZone", "Nowhere"), ("Args", "1"));

        // Assert
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void Validate_AcceptsNumbersAndBooleansWrittenAsStrings_AsTableEditorsWriteThem()
    {
        // Arrange
        var columns = new Dictionary<string, object?>
        {
            ["Job"] = "file-import", ["Cron"] = "0 9 * * MON-FRI", ["TimeZone"] = "Europe/London", ["MaxAttempts"] = "3",
            ["Enabled"] = "false", ["PauseNote"] = "until the vendor fixes the feed", ["Args"] = "{\"delimiter\":\";\"}", ["Input"] = "imports/incoming/",
            ["Overlap"] = "bufferone", ["TimeoutSeconds"] = 120L, ["JitterSeconds"] = 10,
        };

        // Act
        var definition = ScheduleValidator.Validate(Key, columns, Context);

        // Assert
        Assert.Equal(3, definition.Policies.MaxAttempts);
        Assert.False(definition.Enabled);
        Assert.Equal(OverlapPolicy.BufferOne, definition.Policies.Overlap);
        Assert.Equal(TimeSpan.FromSeconds(120), definition.Policies.Timeout);
        Assert.Equal(new InputLocation("imports", "incoming/"), definition.Input);
        Assert.Equal("Europe/London", definition.TimeZone.Id);
    }

    [Theory]
    [InlineData("00:05:00", 300)]
    [InlineData("5m", 300)]
    [InlineData("90s", 90)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("1.00:00:00", 86400)]
    public void Validate_ParsesIntervals(string text, int seconds)
    {
        // Act
        var definition = ScheduleValidator.Validate(Key, new Dictionary<string, object?> { ["Job"] = "heartbeat", ["Interval"] = text }, Context);

        // Assert
        Assert.Equal(new TriggerSpec.Interval(TimeSpan.FromSeconds(seconds)), definition.Trigger);
    }

    [Fact]
    public void Validate_ReadsWallClockRunAtInScheduleZone()
    {
        // Act
        var definition = ScheduleValidator.Validate(Key, new Dictionary<string, object?>
        {
            ["Job"] = "heartbeat", ["RunAt"] = "2026-07-01T09:00", ["TimeZone"] = "America/New_York",
        }, Context);

        // Assert
        Assert.Equal(new TriggerSpec.Once(DateTimeOffset.Parse("2026-07-01T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture)), definition.Trigger);
    }

    [Fact]
    public void Validate_Throws_WithKeyAndMessages()
    {
        // Act
        var ex = Assert.Throws<ScheduleValidationException>(() => ScheduleValidator.Validate(Key, new Dictionary<string, object?> { ["Job"] = "heartbeat" }, Context));

        // Assert
        Assert.Equal(Key, ex.Key);
        Assert.StartsWith("Schedule nightly: no trigger", ex.Message);
        Assert.IsAssignableFrom<FormatException>(ex);
    }

    [Fact]
    public void TryValidate_RefusesTimeoutLongerThanTheAppAllows_NamingBothNumbersAndWhy()
    {
        // Arrange: the Function App's limit, as it publishes it
        var context = Context with { MaxTimeout = TimeSpan.FromSeconds(535), MaxTimeoutReason = "host.json functionTimeout is 00:10:00" };
        var columns = new Dictionary<string, object?> { ["Job"] = "heartbeat", ["Cron"] = "0 3 * * *", ["TimeoutSeconds"] = 3600 };

        // Act
        var valid = ScheduleValidator.TryValidate(new ScheduleKey("default", "long"), columns, context, out _, out var errors);
        var fits = ScheduleValidator.TryValidate(new ScheduleKey("default", "short"), new Dictionary<string, object?>(columns) { ["TimeoutSeconds"] = 535 }, context, out _, out _);

        // Assert
        Assert.False(valid);
        var error = Assert.Single(errors);
        Assert.Contains("TimeoutSeconds 3600", error);
        Assert.Contains("host.json functionTimeout is 00:10:00", error);
        Assert.Contains("at most 535", error);
        Assert.True(fits);
    }

    [Fact]
    public void Validate_WithoutTimeoutSeconds_TakesTheAppsLimit_WhenItIsShorterThanTheDefault()
    {
        // Arrange
        var context = Context with { MaxTimeout = TimeSpan.FromSeconds(505), MaxTimeoutReason = "host.json functionTimeout is 00:10:00" };

        // Act
        var definition = ScheduleValidator.Validate(new ScheduleKey("default", "plain"), new Dictionary<string, object?> { ["Job"] = "heartbeat", ["Cron"] = "0 3 * * *" }, context);

        // Assert
        Assert.Equal(TimeSpan.FromSeconds(505), definition.Policies.Timeout);
    }
}
