using Scheduler.Hosting;

namespace Scheduler.Dispatch;

/// <summary>
/// What one process may do at once, shared by all its ticks: <see cref="SchedulerOptions.Parallelism"/> lanes of
/// storage work (read a state, plan, commit, record), taken only for that work and never held while a job runs, so
/// slow jobs do not hold back other schedules; and a budget of runs in flight (<see cref="SchedulerOptions.MaxConcurrentRuns"/>).
/// </summary>
internal sealed class DispatchLanes(SchedulerOptions options) : IDisposable
{
    private readonly SemaphoreSlim _lanes = new(options.Parallelism, options.Parallelism);
    private long _runs;
    private TaskCompletionSource _runEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs this process may still start now.</summary>
    public int RunBudget => (int)Math.Max(0, options.MaxConcurrentRuns - Interlocked.Read(ref _runs));

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _lanes.WaitAsync(cancellationToken);
        return new Lane(_lanes);
    }

    public void RunsStarted(int count) => Interlocked.Add(ref _runs, count);

    public void RunEnded()
    {
        Interlocked.Decrement(ref _runs);
        PlacesFreed();
    }

    /// <summary>
    /// Takes up to <paramref name="wanted"/> places of the run budget at once, before the plan that uses them (a batch
    /// plans many schedules before any of their runs starts); <see cref="Unreserve"/> returns those a plan did not use.
    /// </summary>
    public int Reserve(int wanted)
    {
        while (true)
        {
            var runs = Interlocked.Read(ref _runs);
            var take = (int)Math.Min(wanted, options.MaxConcurrentRuns - runs);
            if (take <= 0)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _runs, runs + take, runs) == runs)
            {
                return take;
            }
        }
    }

    public void Unreserve(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _runs, -count);
            PlacesFreed();
        }
    }

    private void PlacesFreed() => Interlocked.Exchange(ref _runEnded, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes when places are next freed (a run ends, a reservation is returned): taken before a <see cref="Reserve"/> that finds no place, so no end is missed.</summary>
    public Task NextRunEnd => Volatile.Read(ref _runEnded).Task;

    public void Dispose() => _lanes.Dispose();

    private sealed class Lane(SemaphoreSlim lanes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lanes.Release();
            }
        }
    }
}
