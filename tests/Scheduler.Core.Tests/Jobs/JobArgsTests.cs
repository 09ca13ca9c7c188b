using Microsoft.Extensions.Logging.Abstractions;
using Scheduler.Jobs;
using Scheduler.Schedules;

namespace Scheduler.Core.Tests.Jobs;

/// <summary>Args bind to what a job author writes: classes with setters, and records that take their values in the constructor.</summary>
public sealed class JobArgsTests
{
    public sealed record ImportArgs(string Table, int BatchSize = 100, string Delimiter = ",");

    public sealed class ReportArgs
    {
        public string? Title { get; set; }
        public int Days { get; set; } = 7;
    }

    private static JobContext Context(string args) =>
        new(new ScheduleKey("default", "s"), "job", DateTimeOffset.UnixEpoch, 1, args, null!, NullLogger.Instance);

    [Theory]
    [InlineData("{\"table\":\"Customers\",\"batchSize\":500}", "Customers", 500)]
    [InlineData("{\"Table\":\"Orders\"}", "Orders", 100)]
    [InlineData("{}", null, 100)]
    [InlineData("null", null, 100)]
    public void GetArgs_BindsARecordWithoutAParameterlessConstructor(string json, string? table, int batchSize)
    {
        var args = Context(json).GetArgs<ImportArgs>();
        Assert.Equal((table, batchSize, ","), (args.Table, args.BatchSize, args.Delimiter));
    }

    [Fact]
    public void GetArgs_BindsAClassWithSetters_KeepingItsDefaults()
    {
        var args = Context("{\"title\":\"weekly\"}").GetArgs<ReportArgs>();
        Assert.Equal(("weekly", 7), (args.Title, args.Days));
    }

    [Fact]
    public void GetArgs_ThatDoNotFit_SayWhichScheduleAndType()
    {
        var error = Assert.Throws<FormatException>(() => Context("{\"batchSize\":\"many\"}").GetArgs<ImportArgs>());
        Assert.StartsWith("Args of schedule s do not fit ImportArgs", error.Message);
    }
}
