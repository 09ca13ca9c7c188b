using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>
/// Handlers recorded TimedOut that ignored cancellation and still run. Each keeps its place in the schedule's state
/// (so Overlap=Skip does not start the next occurrence beside it), its lease renewed while it runs in this process,
/// and is released when it really ends. If this process dies, the lease runs out and the place is freed.
/// </summary>
internal sealed class AbandonedRuns(StateStore states, DueIndex index, ConflictRetry retry, TimeProvider clock, ILogger<AbandonedRuns> logger)
{
    private readonly ConcurrentDictionary<Task, byte> _watches = new();

    /// <summary>Abandoned handlers this process is still watching.</summary>
    public int Running => _watches.Count;

    public void Watch(ScheduleKey key, DuePlanner planner, ClaimedRun claim, Task handler, TimeSpan lease)
    {
        var watch = WatchAsync(key, planner, claim, handler, lease);
        _watches[watch] = 0;
        _ = watch.ContinueWith(w => _watches.TryRemove(w, out _), TaskScheduler.Default);
    }

    private async Task WatchAsync(ScheduleKey key, DuePlanner planner, ClaimedRun claim, Task handler, TimeSpan lease)
    {
        try
        {
            while (!await EndedWithinAsync(handler, lease / 2))
            {
                if (!await ChangeAsync(key, planner, s => Completion.RenewAbandoned(s, claim.Due, claim.Attempt, clock.GetUtcNow() + lease), null))
                {
                    return; // its place was taken back (the lease ran out meanwhile): nothing left to hold
                }
            }

            var ended = clock.GetUtcNow();
            var ledger = new RunRowMerge(claim.Due, claim.Attempt, new Dictionary<string, object?> { ["HandlerEndedAt"] = Iso.Format(ended) });
            await ChangeAsync(key, planner, s => Completion.ReleaseAbandoned(s, claim.Due, claim.Attempt), ledger);
            logger.LogInformation("The abandoned handler of {ScheduleId} due {Due:O} attempt {Attempt} ended at {EndedAt:O}; its place is free",
                key.ToString(), claim.Due, claim.Attempt, ended);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not release the abandoned run of {ScheduleId} due {Due:O}; its lease frees its place when it runs out", key.ToString(), claim.Due);
        }
    }

    private async Task<bool> EndedWithinAsync(Task handler, TimeSpan wait)
    {
        try
        {
            await handler.WaitAsync(wait, clock, CancellationToken.None);
        }
        catch (TimeoutException) when (!handler.IsCompleted)
        {
            return false;
        }
        catch (Exception)
        {
            // it ended by throwing: its outcome (TimedOut) is recorded already
        }

        return true;
    }

    private async Task<bool> ChangeAsync(ScheduleKey key, DuePlanner planner, Func<ScheduleState, ScheduleState?> change, RunRowMerge? ledger) =>
        await retry.ExecuteAsync(async ct =>
        {
            if (await states.GetAsync(key, ct) is not { } current || change(current.State) is not { } state)
            {
                return false;
            }

            var wakeAt = planner.WakeAt(state);
            await states.ReplaceAsync(current, state, wakeAt, clock.GetUtcNow(), ct, ledger);
            if (wakeAt != current.WakeAt)
            {
                await index.MoveAsync(current.WakeAt, wakeAt, key, ct);
            }

            return true;
        }, CancellationToken.None);
}
