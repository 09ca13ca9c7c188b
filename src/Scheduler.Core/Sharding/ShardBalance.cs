namespace Scheduler.Sharding;

/// <summary>A shard's lease as read: who holds it and until when (an empty owner: nobody).</summary>
internal sealed record ShardLease(int Shard, string Owner, DateTimeOffset ExpiresAt)
{
    public bool IsHeldAt(DateTimeOffset now) => Owner.Length > 0 && ExpiresAt > now;
}

/// <summary>What one instance does with the leases it read: keep (and renew some of) its own, take free or stolen ones.</summary>
internal sealed record ShardClaims(IReadOnlyList<int> Keep, IReadOnlyList<int> Renew, IReadOnlyList<int> Take)
{
    public bool WritesNothing => Renew.Count == 0 && Take.Count == 0;

    /// <summary>The shards this instance reads once its write commits.</summary>
    public IReadOnlyList<int> HeldAfterWrite => [.. Keep.Concat(Take).Order()];
}

/// <summary>
/// How instances share shards with nothing but the lease rows: each instance counts the owners of live leases (and
/// itself), takes free or expired shards up to its fair share (count / owners, rounded up); still below count / owners
/// rounded down, it takes the missing ones from whoever holds more than that, and below its fair share from whoever holds
/// more than the fair share. Every instance
/// applying this to what it read converges on shares that differ by at most one, each shard held by one instance; a
/// crashed instance's shards are free once its leases expire. A lease is renewed when less than
/// <c>renewWithin</c> of it is left, so a steady state writes one transaction per instance per renewal.
/// </summary>
internal static class ShardBalance
{
    public static ShardClaims Decide(int count, IEnumerable<ShardLease> leases, string self, DateTimeOffset now, TimeSpan renewWithin)
    {
        var live = leases.Where(l => l.Shard >= 0 && l.Shard < count && l.IsHeldAt(now)).GroupBy(l => l.Shard).Select(g => g.First()).ToList();
        var mine = live.Where(l => l.Owner == self).OrderBy(l => l.Shard).ToList();
        var others = live.Where(l => l.Owner != self).GroupBy(l => l.Owner).ToDictionary(g => g.Key, g => g.Select(l => l.Shard).ToList(), StringComparer.Ordinal);
        var owners = others.Count + 1;
        var floor = count / owners;
        var ceiling = floor + (count % owners == 0 ? 0 : 1);

        var take = new List<int>();
        var taken = live.Select(l => l.Shard).ToHashSet();
        var free = Enumerable.Range(0, count).Where(s => !taken.Contains(s)).OrderBy(s => Spread(self, s)).ToList();
        take.AddRange(free.Take(Math.Max(0, ceiling - mine.Count)));

        // Below floor: take from anyone above it (such an owner exists, else the shards would not add up to count).
        // Below the ceiling: take from anyone above the ceiling. Either way the other owner keeps at least its share.
        while (mine.Count + take.Count < ceiling
            && others.Where(o => o.Value.Count > (mine.Count + take.Count < floor ? floor : ceiling)).OrderByDescending(o => o.Value.Count).ThenBy(o => o.Key, StringComparer.Ordinal).FirstOrDefault() is { Key: not null } victim)
        {
            var shard = victim.Value.Max();
            victim.Value.Remove(shard);
            take.Add(shard);
        }

        var renew = mine.Where(l => l.ExpiresAt - now < renewWithin).Select(l => l.Shard).ToList();
        return new ShardClaims([.. mine.Select(l => l.Shard)], renew, take);
    }

    /// <summary>A per-instance order over free shards, so instances starting together reach for different ones.</summary>
    private static uint Spread(string self, int shard) => ShardMap.Hash($"{self}/{shard}");
}
