using Azure;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Sharding;
using Scheduler.Storage;

namespace Scheduler.Dispatch;

/// <summary>The shards this process reads now (of <paramref name="ShardCount"/>, 0 before the first read), and rows of the lease partition that are not the scheduler's.</summary>
internal sealed record HeldShards(IReadOnlyList<int> Shards, int ShardCount, IReadOnlyList<RowFault> Faults)
{
    /// <summary>The shards other instances hold (or nobody does).</summary>
    public IEnumerable<int> Others => Enumerable.Range(0, ShardCount).Except(Shards);
}

/// <summary>
/// The shards this process holds by lease, so instances read disjoint parts of the due index instead of each other's
/// work (<see cref="ShardBalance"/> decides; <see cref="ShardStore"/> reads and writes). Refreshed from a tick or a poll
/// when older than a fifth of the lease: one query, and one transaction when a lease is taken or due for renewal. A
/// shard read by two instances during a handover is harmless (claims are conditional on the state row); one read by
/// none waits at most a lease for its holder's expiry.
/// </summary>
internal sealed class ShardLeases(ShardStore store, SchedulerOptions options, TimeProvider clock, ILogger<ShardLeases> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Snapshot _current = new(new HeldShards([], 0, []), DateTimeOffset.MinValue);

    /// <summary>
    /// How long a taken or renewed lease lasts. With precise firing a process refreshes every few seconds; without it
    /// only at its ticks, so the lease outlasts two tick intervals.
    /// </summary>
    public TimeSpan Duration { get; } = LeaseDuration(options);

    public TimeSpan RefreshEvery => Duration / 5;

    /// <summary>
    /// The shards to read; reads and balances the leases when the last read is older than <see cref="RefreshEvery"/>.
    /// An instance whose last refresh found every shard its own (one instance, the common deployment) reads nothing:
    /// it renews all its leases, conditional on the ETags it holds, and reads only when that fails (another instance
    /// took a share, or took them while they had lapsed). One write instead of a read and a write: an idle tick costs
    /// the shards' reads and that one request.
    /// </summary>
    public async Task<HeldShards> CurrentAsync(CancellationToken cancellationToken)
    {
        var current = _current;
        if (clock.GetUtcNow() - current.ReadAt < RefreshEvery)
        {
            return current.Held with { Faults = [] };
        }

        // While another caller refreshes, go on with the last read (at most a few fifths of a lease old) instead of
        // waiting: under load the lease transaction queues behind the runs' own, and ticks must not queue behind it.
        if (!await _gate.WaitAsync(0, cancellationToken))
        {
            if (current.Held.ShardCount > 0)
            {
                return current.Held with { Faults = [] };
            }

            await _gate.WaitAsync(cancellationToken);
        }

        try
        {
            current = _current;
            var now = clock.GetUtcNow();
            if (now - current.ReadAt < RefreshEvery)
            {
                return current.Held with { Faults = [] };
            }

            if (current.Sole is { } sole && await store.WriteAsync(sole.Select(l => (l.Key, (ETag?)l.Value)), options.InstanceId, now + Duration, cancellationToken) is { } renewed)
            {
                _current = current with { ReadAt = now, Sole = renewed };
                return current.Held with { Faults = [] };
            }

            return await ReadAndBalanceAsync(current, now, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<HeldShards> ReadAndBalanceAsync(Snapshot current, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = await store.ReadAsync(cancellationToken);
        var claims = ShardBalance.Decide(rows.ShardCount, rows.Leases.Select(l => l.Lease), options.InstanceId, now, Duration / 2);
        var held = claims.Keep;
        var etags = rows.Leases.Where(l => l.ETag is not null).ToDictionary(l => l.Lease.Shard, l => l.ETag!.Value);
        if (!claims.WritesNothing)
        {
            var writes = claims.Renew.Concat(claims.Take).Select(s => (s, etags.TryGetValue(s, out var etag) ? etag : (ETag?)null));
            if (await store.WriteAsync(writes, options.InstanceId, now + Duration, cancellationToken) is { } written)
            {
                held = claims.HeldAfterWrite;
                foreach (var (shard, etag) in written)
                {
                    etags[shard] = etag;
                }
            }
            else
            {
                now = DateTimeOffset.MinValue; // another instance wrote first: read again at the next chance
            }
        }

        if (!held.SequenceEqual(current.Held.Shards))
        {
            logger.LogInformation("{Instance} now reads shards [{Shards}] of {Count}", options.InstanceId, string.Join(",", held), rows.ShardCount);
        }

        var read = new HeldShards(held, rows.ShardCount, rows.Faults);
        var sole = now != DateTimeOffset.MinValue && held.Count == rows.ShardCount; // every held row was read or written here
        _current = new Snapshot(read, now) { Sole = sole ? held.ToDictionary(s => s, s => etags[s]) : null };
        return read;
    }

    /// <summary>
    /// Whether the last refresh found <paramref name="shard"/> this process's. No I/O: a long tick asks before each
    /// schedule it reaches, while the host's polls and other ticks keep the leases fresh.
    /// </summary>
    public bool Holds(int shard) => _current.Held.Shards.Contains(shard);

    /// <summary>Gives this process's leases up (a clean stop), so other instances take its shards at once instead of after expiry.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var rows = await store.ReadAsync(cancellationToken);
            var mine = rows.Leases.Where(l => l.Lease.Owner == options.InstanceId).Select(l => (l.Lease.Shard, l.ETag)).ToList();
            if (mine.Count > 0 && await store.ReleaseAsync(mine, cancellationToken))
            {
                logger.LogInformation("{Instance} released shards [{Shards}]", options.InstanceId, string.Join(",", mine.Select(m => m.Shard)));
            }

            _current = new Snapshot(_current.Held with { Shards = [], Faults = [] }, DateTimeOffset.MinValue);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static TimeSpan LeaseDuration(SchedulerOptions options)
    {
        if (options.PreciseFiring)
        {
            return options.ShardLeaseDuration;
        }

        var schedule = TickDriver.ParseTickSchedule(options.TickSchedule);
        var first = schedule.GetNextOccurrence(DateTime.UtcNow) ?? DateTime.UtcNow;
        var interval = (schedule.GetNextOccurrence(first) ?? first.AddMinutes(1)) - first;
        var spanned = interval * 2 + TimeSpan.FromSeconds(10);
        return spanned > options.ShardLeaseDuration ? spanned : options.ShardLeaseDuration;
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>What the last refresh found and when: one reference, so readers outside the gate see both or neither.</summary>
    private sealed record Snapshot(HeldShards Held, DateTimeOffset ReadAt)
    {
        /// <summary>When this instance holds every shard: its leases' ETags, which its renewals are conditional on.</summary>
        public IReadOnlyDictionary<int, ETag>? Sole { get; init; }
    }
}
