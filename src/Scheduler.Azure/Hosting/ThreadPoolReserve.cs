namespace Scheduler.Hosting;

/// <summary>
/// Handlers may block their thread (synchronous I/O, Thread.Sleep, .Result). The thread pool starts with one thread
/// per core and adds more slowly, so on a 2-core instance two blocking handlers would stall every tick and completion
/// for seconds. A process setting, made once where the scheduler is registered: enough threads ready for a full tick
/// of blocking handlers plus the dispatcher.
/// </summary>
internal static class ThreadPoolReserve
{
    public static void Ensure(int parallelism)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, (parallelism * 2) + Environment.ProcessorCount), io);
    }
}
