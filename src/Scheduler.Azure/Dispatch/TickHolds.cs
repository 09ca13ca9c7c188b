using System.Collections.Concurrent;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>
/// Which due schedules this process's ticks hold, so overlapping ticks leave each to one. A tick holds the schedules it
/// read due until their runs start (their entries moved by then) or it is done with them; an occurrence due while they
/// run is the next tick's (its overlap policy decides), as with another instance.
/// <para>
/// A tick's read can also be stale by the time it asks: an entry it read may have been moved by another tick that
/// released the schedule after the read. Taken then, it would read the schedule's state again to find it claimed, and
/// move an entry that is gone (the benchmark counted a seventh of a backlog's requests so). So a release is stamped, and
/// a read older than the stamp leaves the schedule to the next tick's read.
/// </para>
/// </summary>
internal sealed class TickHolds
{
    private readonly ConcurrentDictionary<string, long> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _releasedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, byte> _reading = new();
    private long _sequence;

    /// <summary>Releases remembered for reads under way (none once no read is).</summary>
    internal int Stamps => _releasedAt.Count;

    /// <summary>Starts a read of the due index; dispose it once the read's schedules are taken (<see cref="TryTake"/>).</summary>
    public Read StartRead() => new(this, Interlocked.Increment(ref _sequence));

    /// <summary>Holds the schedule for <paramref name="tick"/>: false when another tick holds it, or released it since <paramref name="read"/> began.</summary>
    public bool TryTake(ScheduleKey key, long tick, Read read)
    {
        if (!_held.TryAdd(key.Value, tick))
        {
            return false;
        }

        // A release stamps before it lets go, so a take that succeeds sees the stamp of the release it follows.
        if (_releasedAt.TryGetValue(key.Value, out var released) && released > read.StartedAt)
        {
            _held.TryRemove(KeyValuePair.Create(key.Value, tick));
            return false;
        }

        return true;
    }

    /// <summary>Lets the schedule go, if <paramref name="tick"/> holds it: a read under way from before now reads it stale.</summary>
    public void Release(ScheduleKey key, long tick)
    {
        if (!_held.TryGetValue(key.Value, out var holder) || holder != tick)
        {
            return;
        }

        if (!_reading.IsEmpty)
        {
            _releasedAt[key.Value] = Interlocked.Increment(ref _sequence);
        }

        _held.TryRemove(KeyValuePair.Create(key.Value, tick));
    }

    private void EndRead(long startedAt)
    {
        _reading.TryRemove(startedAt, out _);
        // One pass over the reads under way: other ticks end theirs meanwhile, so "any left?" then "the oldest" could
        // find none the second time (it threw, and the tick's taken schedules were never let go).
        var oldest = long.MaxValue;
        foreach (var (reading, _) in _reading)
        {
            oldest = Math.Min(oldest, reading);
        }

        foreach (var (key, stamp) in _releasedAt)
        {
            if (stamp < oldest)
            {
                _releasedAt.TryRemove(KeyValuePair.Create(key, stamp)); // no read under way began before it
            }
        }
    }

    /// <summary>A read of the due index under way.</summary>
    public sealed class Read : IDisposable
    {
        private readonly TickHolds _holds;

        internal Read(TickHolds holds, long startedAt)
        {
            (_holds, StartedAt) = (holds, startedAt);
            holds._reading[startedAt] = 0;
        }

        public long StartedAt { get; }

        public void Dispose() => _holds.EndRead(StartedAt);
    }
}
