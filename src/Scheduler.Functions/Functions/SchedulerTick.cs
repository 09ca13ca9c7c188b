using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Scheduler.Dispatch;

namespace Scheduler.Functions.Functions;

/// <summary>The timer that drives every schedule. Its cadence is the app setting Scheduler:TickSchedule.</summary>
internal sealed class SchedulerTick(TickDriver driver, WorkerShutdown shutdown, TimeProvider clock, ILogger<SchedulerTick> logger)
{
    [Function(nameof(SchedulerTick))]
    public Task RunAsync([TimerTrigger("%Scheduler:TickSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            logger.LogWarning("SchedulerTick is running late; missed occurrences follow each schedule's misfire policy");
        }

        // ScheduleStatus.Next is local time when WEBSITE_TIME_ZONE is set, UTC otherwise.
        DateTimeOffset? next = timer.ScheduleStatus?.Next is { } n && n != default
            ? new DateTimeOffset(n.Kind == DateTimeKind.Local ? n.ToUniversalTime() : DateTime.SpecifyKind(n, DateTimeKind.Utc))
            : null;
        next = next > clock.GetUtcNow() ? next : null;
        return shutdown.RunAsync(token => driver.RunInvocationAsync(next, token), cancellationToken);
    }
}
