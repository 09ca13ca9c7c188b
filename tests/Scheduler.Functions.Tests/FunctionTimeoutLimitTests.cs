using Scheduler.Hosting;

namespace Scheduler.Functions.Tests;

public sealed class FunctionTimeoutLimitTests
{
    [Fact]
    public void Compute_Inline_LeavesOneTickIntervalTheAbandonGraceAndTheRecordMargin()
    {
        // Act
        var limit = FunctionTimeoutLimit.Compute(TimeSpan.FromMinutes(10), new SchedulerOptions { TickSchedule = "0 * * * * *" });

        // Assert: 600 - 60 - 5 - 30
        Assert.Equal(TimeSpan.FromSeconds(505), limit!.Value.Limit);
        Assert.Contains("host.json functionTimeout is 00:10:00", limit.Value.Reason);
        Assert.Contains("Inline", limit.Value.Reason);
    }

    [Fact]
    public void Compute_Queue_LeavesTheAbandonGraceAndTheRecordMargin_AndNoLimitWithoutATimeout()
    {
        // Act
        var limit = FunctionTimeoutLimit.Compute(TimeSpan.FromMinutes(10), new SchedulerOptions { Dispatch = DispatchMode.Queue });

        // Assert
        Assert.Equal(TimeSpan.FromSeconds(565), limit!.Value.Limit);
        Assert.Contains("Queue dispatch", limit.Value.Reason);
        Assert.Null(FunctionTimeoutLimit.Compute(null, new SchedulerOptions()));
        Assert.Null(FunctionTimeoutLimit.Compute(TimeSpan.FromSeconds(-1), new SchedulerOptions()));
    }
}
