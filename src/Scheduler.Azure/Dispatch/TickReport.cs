namespace Scheduler.Dispatch;

/// <summary>What one tick did, for the tick's log line, tests and benchmarks.</summary>
internal sealed record TickReport(
    DateTimeOffset StartedAt,
    int DueEntries,
    int Claimed,
    int Succeeded,
    int Failed,
    int Skipped,
    int Missed,
    int Conflicts,
    int Edits,
    IReadOnlyList<string> Errors,
    long StorageRequests,
    TimeSpan Duration,
    int Held = 0,
    int Quarantined = 0,
    int HandedOver = 0)
{
    public int Ran => Succeeded + Failed;

    /// <summary>True when every due schedule was already held by another tick of this process: this tick found nothing new.</summary>
    public bool FoundNothingNew => DueEntries > 0 && Held > 0 && Claimed == 0 && Skipped == 0 && Missed == 0 && Ran == 0;
}

/// <summary>Thread-safe counters a tick fills in.</summary>
internal sealed class TickCounters
{
    private int _claimed, _succeeded, _failed, _skipped, _missed, _conflicts, _edits, _quarantined, _handedOver;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();

    public void Claimed(int n) => Interlocked.Add(ref _claimed, n);
    public void Finished(Scheduler.Runs.RunStatus status)
    {
        switch (status)
        {
            case Scheduler.Runs.RunStatus.Succeeded:
                Interlocked.Increment(ref _succeeded);
                break;
            case Scheduler.Runs.RunStatus.Skipped:
                Interlocked.Increment(ref _skipped);
                break;
            default:
                Interlocked.Increment(ref _failed);
                break;
        }
    }
    public void Skipped(long n) => Interlocked.Add(ref _skipped, (int)Math.Min(n, int.MaxValue));
    public void Missed(long n) => Interlocked.Add(ref _missed, (int)Math.Min(n, int.MaxValue));
    public void Conflict() => Interlocked.Increment(ref _conflicts);
    public void Edits(int n) => Interlocked.Add(ref _edits, n);
    public void Error(string message) => _errors.Enqueue(message);
    /// <summary>A row this tick could not use as it was: a due index entry set aside, a damaged or deleted state row rebuilt from its definition and ledger.</summary>
    public void Quarantined() => Interlocked.Increment(ref _quarantined);
    /// <summary>A due schedule whose shard went to another instance while it waited for its turn in this tick: left to that instance.</summary>
    public void HandedOver() => Interlocked.Increment(ref _handedOver);

    public TickReport ToReport(DateTimeOffset started, int due, int held, long requests, TimeSpan duration) =>
        new(started, due, _claimed, _succeeded, _failed, _skipped, _missed, _conflicts, _edits, [.. _errors], requests, duration, held, _quarantined, _handedOver);
}
