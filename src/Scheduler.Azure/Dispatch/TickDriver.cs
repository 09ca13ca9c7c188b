using Cronos;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Storage;

namespace Scheduler.Dispatch;

/// <summary>
/// What one tick invocation does, for every host: tick, then (with precise firing) tick again inside the invocation
/// at each due time before the next scheduled tick. Ticks overlap: a tick waiting for a slow or hanging job does not
/// hold back occurrences due meanwhile (a later tick takes them; claims are ETag-conditional, so overlapping ticks in
/// one process are as safe as several instances). The invocation ends once its window has passed and no tick is still
/// running; while one is, it keeps ticking at due times and reconciles edits at the tick schedule's cadence.
/// </summary>
internal sealed class TickDriver(Dispatcher dispatcher, Reconciler reconciler, DueIndex index, ShardLeases leases, SchedulerOptions options, TimeProvider clock, ILogger<TickDriver> logger)
{
    /// <summary>Ticks one process runs at once; beyond it, the next tick waits for one to finish.</summary>
    public const int MaxTicksInFlight = 32;

    private static readonly TimeSpan MinimumPause = TimeSpan.FromMilliseconds(200);
    /// <summary>
    /// An invocation ends this long before the next one is due (a timer skips an occurrence that comes while the last
    /// invocation still runs). Shorter than a second, so occurrences due on the last whole second before a tick start
    /// in this invocation instead of waiting for the next.
    /// </summary>
    private static readonly TimeSpan WindowMargin = TimeSpan.FromMilliseconds(500);
    private readonly CronExpression _schedule = ParseTickSchedule(options.TickSchedule);

    public string TickSchedule => options.TickSchedule;

    /// <summary>When the tick after <paramref name="now"/> is due by <see cref="SchedulerOptions.TickSchedule"/>.</summary>
    public DateTimeOffset NextTickAfter(DateTimeOffset now) =>
        _schedule.GetNextOccurrence(now, TimeZoneInfo.Utc) ?? now.AddMinutes(1);

    /// <summary>Runs one invocation; returns the reports of every tick it made.</summary>
    /// <param name="onTick">Called with each tick's report as it completes (a host learns at once that storage answers again).</param>
    public async Task<IReadOnlyList<TickReport>> RunInvocationAsync(DateTimeOffset? nextTickAt, CancellationToken cancellationToken, Action<TickReport>? onTick = null)
    {
        if (!options.PreciseFiring)
        {
            // A tick takes at most MaxDuePerTick entries: a full tick means more are due, so tick again while the window lasts.
            var end = WindowEnd(nextTickAt);
            List<TickReport> drained = [await dispatcher.TickAsync(cancellationToken)];
            onTick?.Invoke(drained[^1]);
            while (drained[^1].DueEntries >= options.MaxDuePerTick && clock.GetUtcNow() < end && !cancellationToken.IsCancellationRequested)
            {
                drained.Add(await dispatcher.TickAsync(reconcile: false, cancellationToken));
                onTick?.Invoke(drained[^1]);
            }

            return drained;
        }

        var reports = new List<TickReport>();
        var running = new List<Task<TickReport>>();
        var failures = new List<Exception>();
        // Leave a margin so this invocation ends before the next one starts.
        var until = WindowEnd(nextTickAt);
        var reconcile = true;
        var lastTickAt = DateTimeOffset.MinValue;
        try
        {
            while (!cancellationToken.IsCancellationRequested && failures.Count == 0)
            {
                if (reconcile)
                {
                    lastTickAt = clock.GetUtcNow();
                    running.Add(dispatcher.TickAsync(reconcile: true, cancellationToken));
                    reconcile = false;
                }

                if (await ReapAsync(running, reports, failures, block: running.Count >= MaxTicksInFlight, onTick, cancellationToken, cancellationToken) is { } throttled)
                {
                    await PauseAfterThrottleAsync("a tick", throttled, cancellationToken);
                }

                var now = clock.GetUtcNow();
                if (now >= until)
                {
                    if (running.Count == 0)
                    {
                        break;
                    }

                    // A tick is still running (a slow job): stay, and do the next scheduled tick's work here.
                    until = NextTickAfter(until + WindowMargin) - WindowMargin;
                    reconcile = true;
                    continue;
                }

                // Queue mode: a schedule whose run waits in the queue wakes again when RunOccurrence (anywhere) starts or
                // finishes it; stay and poll for that wake instead of leaving it to the next timer.
                DateTimeOffset? wake;
                try
                {
                    wake = await index.PeekEarliestAsync(until, (await leases.CurrentAsync(cancellationToken)).Shards, cancellationToken);
                }
                catch (Azure.RequestFailedException ex) when (IsThrottled(ex))
                {
                    await PauseAfterThrottleAsync("looking for due runs", ex, cancellationToken);
                    continue;
                }

                var awaitingQueuedRuns = options.Dispatch == DispatchMode.Queue && reports.Any(r => r.Claimed > 0);
                if (wake is null && running.Count == 0 && !awaitingQueuedRuns)
                {
                    break;
                }

                // Wake early when a tick finishes: its completions may have written an earlier wake (a retry). The
                // minimum pause keeps a wake that a running tick is still working on from starting tick after tick.
                // Look again at least every PollInterval: edits, and wakes written elsewhere, are seen within it.
                // A backlog the running ticks already hold is theirs: a new tick would only read it again. Wait for one
                // of them to finish (or the poll) instead.
                var target = wake is { } w && w < now + options.PollInterval ? w : now + options.PollInterval;
                if (target <= now && running.Count > 0 && reports.Count > 0 && reports[^1].FoundNothingNew)
                {
                    target = now + options.PollInterval;
                }

                // The minimum pause counts from the last tick's start, not from now: counted from each look, ticks
                // finishing more often than it would hold back the next tick for as long as they keep finishing.
                var earliest = lastTickAt + MinimumPause;
                var wait = (target < until ? target : until) - now;
                wait = now + wait < earliest ? earliest - now : wait;
                var delay = Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, clock, cancellationToken);
                await Task.WhenAny([delay, .. running]);
                if (!delay.IsCompleted)
                {
                    continue;
                }

                await delay;
                now = clock.GetUtcNow();
                if (wake is { } due && due <= now && now < until)
                {
                    lastTickAt = now;
                    running.Add(dispatcher.TickAsync(reconcile: false, cancellationToken));
                }
                else if (now < until)
                {
                    try
                    {
                        await reconciler.RefreshAsync(cancellationToken); // a poll: read edits, then the index again
                    }
                    catch (Azure.RequestFailedException ex) when (IsThrottled(ex))
                    {
                        await PauseAfterThrottleAsync("reading edits", ex, cancellationToken);
                    }
                }
            }
        }
        finally
        {
            // Never leave a tick behind: its runs' results must be recorded before the invocation ends.
            while (running.Count > 0)
            {
                await ReapAsync(running, reports, failures, block: true, onTick, CancellationToken.None, cancellationToken);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                await ReleaseShardsAsync();
            }
        }

        if (failures.Count > 0)
        {
            throw failures.Count == 1 ? failures[0] : new AggregateException(failures);
        }

        cancellationToken.ThrowIfCancellationRequested();
        logger.LogDebug("Tick invocation made {Ticks} ticks", reports.Count);
        return reports;
    }

    /// <summary>
    /// Collects the ticks that finished. A tick that failed because storage asked to slow down (its own reads, before it
    /// claims anything) does not end the invocation, as a throttled read between ticks does not: returned, so the
    /// invocation pauses a poll and ticks again. Other failures end it.
    /// </summary>
    private async Task<Azure.RequestFailedException?> ReapAsync(
        List<Task<TickReport>> running, List<TickReport> reports, List<Exception> failures, bool block, Action<TickReport>? onTick, CancellationToken waitToken, CancellationToken cancellationToken)
    {
        Azure.RequestFailedException? throttled = null;
        if (block && running.Count > 0 && !running.Any(t => t.IsCompleted))
        {
            await Task.WhenAny(running).WaitAsync(waitToken);
        }

        foreach (var done in running.Where(t => t.IsCompleted).ToList())
        {
            running.Remove(done);
            try
            {
                reports.Add(await done);
                onTick?.Invoke(reports[^1]);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // shutting down: the dispatcher already released what it had claimed
            }
            catch (Azure.RequestFailedException ex) when (IsThrottled(ex))
            {
                logger.LogWarning("A tick's storage reads were answered {Status} ({Code}) after the client's retries; what it read stays due for the next tick", ex.Status, ex.ErrorCode);
                throttled = ex;
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
        }

        return throttled;
    }

    /// <summary>
    /// Storage asking to slow down (Azure's 503 ServerBusy, 500 OperationTimedOut), after the SDK's own retries: a read
    /// between ticks, or a tick's own reads, look again after a poll instead of ending the invocation, which would leave
    /// the window's due runs to the next timer (the benchmark's drains stalled for up to a minute so). Other failures
    /// (storage unreachable) still end it: the host's outage handling takes over.
    /// </summary>
    private static bool IsThrottled(Azure.RequestFailedException ex) => ex.Status is 503 or 500;

    private async Task PauseAfterThrottleAsync(string what, Azure.RequestFailedException ex, CancellationToken cancellationToken)
    {
        logger.LogWarning("Between ticks, {What}: storage answered {Status} ({Code}); looking again in {Seconds:F1} s", what, ex.Status, ex.ErrorCode, options.PollInterval.TotalSeconds);
        await Task.Delay(options.PollInterval, clock, cancellationToken);
    }

    /// <summary>A stopping process hands its shards over at once rather than after their leases expire.</summary>
    private async Task ReleaseShardsAsync()
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await leases.ReleaseAsync(limit.Token);
        }
        catch (Exception ex)
        {
            logger.LogWarning("Releasing this process's shards failed ({Error}); other instances take them when the leases expire", ex.Message);
        }
    }

    private DateTimeOffset WindowEnd(DateTimeOffset? nextTickAt) => (nextTickAt ?? NextTickAfter(clock.GetUtcNow())) - WindowMargin;

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
