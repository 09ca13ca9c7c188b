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

    /// <summary>Runs this process may still start now.</summary>
    public int RunBudget => (int)Math.Max(0, options.MaxConcurrentRuns - Interlocked.Read(ref _runs));

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _lanes.WaitAsync(cancellationToken);
        return new Lane(_lanes);
    }

    public void RunsStarted(int count) => Interlocked.Add(ref _runs, count);

    public void RunEnded() => Interlocked.Decrement(ref _runs);

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
