using Cronos;
using Microsoft.Extensions.Logging;
using Scheduler.Azure.Hosting;
using Scheduler.Azure.Storage;

namespace Scheduler.Azure.Dispatch;

/// <summary>
/// What one tick invocation does, for every host: tick, then (with precise firing) wait inside the invocation for
/// occurrences due before the next tick and tick again at their due time.
/// </summary>
public sealed class TickDriver(Dispatcher dispatcher, DueIndex index, SchedulerOptions options, TimeProvider clock, ILogger<TickDriver> logger)
{
    private static readonly TimeSpan MinimumPause = TimeSpan.FromMilliseconds(200);
    private readonly CronExpression _schedule = ParseTickSchedule(options.TickSchedule);

    public string TickSchedule => options.TickSchedule;

    /// <summary>When the tick after <paramref name="now"/> is due by <see cref="SchedulerOptions.TickSchedule"/>.</summary>
    public DateTimeOffset NextTickAfter(DateTimeOffset now) =>
        _schedule.GetNextOccurrence(now, TimeZoneInfo.Utc) ?? now.AddMinutes(1);

    /// <summary>Runs one invocation; returns the reports of every tick it made.</summary>
    public async Task<IReadOnlyList<TickReport>> RunInvocationAsync(DateTimeOffset? nextTickAt, CancellationToken cancellationToken)
    {
        var reports = new List<TickReport> { await dispatcher.TickAsync(cancellationToken) };
        if (!options.PreciseFiring)
        {
            return reports;
        }

        // Leave a margin so this invocation ends before the next one starts.
        var until = (nextTickAt ?? NextTickAfter(clock.GetUtcNow())) - TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            if (await index.PeekEarliestAsync(until, cancellationToken) is not { } wake)
            {
                break;
            }

            var wait = wake - now;
            await Task.Delay(wait > MinimumPause ? wait : MinimumPause, clock, cancellationToken);
            if (clock.GetUtcNow() >= until)
            {
                break;
            }

            reports.Add(await dispatcher.TickAsync(reconcile: false, cancellationToken));
        }

        logger.LogDebug("Tick invocation made {Ticks} ticks", reports.Count);
        return reports;
    }

    public static CronExpression ParseTickSchedule(string schedule)
    {
        var fields = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            return CronExpression.Parse(schedule, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new InvalidOperationException($"Scheduler:TickSchedule \"{schedule}\" is not a cron expression ({ex.Message}); use six fields such as \"0 * * * * *\" (every minute)", ex);
        }
    }
}
