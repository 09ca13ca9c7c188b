using Scheduler.Sharding;

namespace Scheduler.Core.Tests.Sharding;

public sealed class ShardBalanceTests
{
    private static readonly DateTimeOffset Now = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    [Fact]
    public void AloneOnNewTables_TakesEveryShard()
    {
        var claims = ShardBalance.Decide(8, [], "a", Now, Lease / 2);

        Assert.Equal(Enumerable.Range(0, 8), claims.Take.Order());
        Assert.Empty(claims.Keep);
        Assert.Equal(Enumerable.Range(0, 8), claims.HeldAfterWrite);
    }

    [Fact]
    public void ANewcomer_TakesItsShareFromTheInstanceHoldingEverything_AndTheHolderKeepsTheRest()
    {
        var leases = Enumerable.Range(0, 8).Select(s => new ShardLease(s, "a", Now + Lease)).ToList();

        var newcomer = ShardBalance.Decide(8, leases, "b", Now, Lease / 2);
        var holder = ShardBalance.Decide(8, leases, "a", Now, Lease / 2);

        Assert.Equal(4, newcomer.Take.Count);
        Assert.Equal((8, 0), (holder.Keep.Count, holder.Take.Count));
    }

    [Fact]
    public void AtItsFairShare_AnInstanceTakesNothingFromALiveOne()
    {
        var leases = Enumerable.Range(0, 8).Select(s => new ShardLease(s, s < 5 ? "a" : "b", Now + Lease)).ToList();

        var claims = ShardBalance.Decide(8, leases, "b", Now, Lease / 2); // 3 of 8 with 2 owners: floor 4

        Assert.Single(claims.Take);
        Assert.Equal(4, claims.HeldAfterWrite.Count);
        Assert.Empty(ShardBalance.Decide(8, leases.Select(l => l.Shard == claims.Take[0] ? l with { Owner = "b" } : l), "a", Now, Lease / 2).Take);
    }

    [Fact]
    public void ExpiredLeases_AreFree_AndOnlyLeasesNearExpiryAreRenewed()
    {
        var leases = new[]
        {
            new ShardLease(0, "dead", Now - TimeSpan.FromSeconds(1)),
            new ShardLease(1, "a", Now + TimeSpan.FromSeconds(3)),
            new ShardLease(2, "a", Now + TimeSpan.FromSeconds(14)),
            new ShardLease(3, "", Now + Lease),
        };

        var claims = ShardBalance.Decide(4, leases, "a", Now, Lease / 2);

        Assert.Equal([0, 3], claims.Take.Order());
        Assert.Equal([1], claims.Renew);
        Assert.Equal([0, 1, 2, 3], claims.HeldAfterWrite);
    }

    [Fact]
    public void RowsForShardsBeyondTheCount_AreIgnored()
    {
        var claims = ShardBalance.Decide(2, [new ShardLease(5, "b", Now + Lease), new ShardLease(-1, "b", Now + Lease)], "a", Now, Lease / 2);

        Assert.Equal([0, 1], claims.HeldAfterWrite);
    }

    /// <summary>
    /// Instances from any starting state (random owners, some expired, some gone), each in turn applying its decision to
    /// what the previous ones wrote: within a few rounds every shard has exactly one live holder, shares differ by at most
    /// one, and then nobody takes anything more (no shard moves back and forth).
    /// </summary>
    [Fact]
    public void FromAnyState_InstancesConverge_OnDisjointSharesThatDifferByAtMostOne()
    {
        var random = new Random(17);
        foreach (var count in new[] { 1, 2, 3, 5, 8, 16, 64 })
        {
            foreach (var instances in Enumerable.Range(1, 10))
            {
                for (var trial = 0; trial < 20; trial++)
                {
                    var live = Enumerable.Range(0, instances).Select(i => $"i{i}").ToList();
                    var owners = live.Concat(["gone-1", "gone-2", ""]).ToList();
                    var leases = Enumerable.Range(0, count).ToDictionary(s => s, s => new ShardLease(
                        s, owners[random.Next(owners.Count)], Now + TimeSpan.FromSeconds(random.Next(-20, 16))));
                    var now = Now;
                    var takesInLastRound = 0;
                    // Rounds a refresh apart (a fifth of the lease) for 36 s: past the 15 s the gone owners' leases have left.
                    for (var round = 0; round < 12; round++)
                    {
                        takesInLastRound = 0;
                        foreach (var self in live.OrderBy(_ => random.Next()))
                        {
                            var claims = ShardBalance.Decide(count, leases.Values, self, now, Lease / 2);
                            takesInLastRound += claims.Take.Count;
                            foreach (var shard in claims.Take.Concat(claims.Renew))
                            {
                                leases[shard] = new ShardLease(shard, self, now + Lease);
                            }
                        }

                        now += TimeSpan.FromSeconds(3);
                    }

                    Assert.Equal(0, takesInLastRound);
                    var shares = live.Select(i => leases.Values.Count(l => l.Owner == i && l.IsHeldAt(now))).ToList();
                    Assert.Equal(count, shares.Sum());
                    Assert.True(shares.Max() - shares.Min() <= 1, $"{instances} instances over {count} shards: shares {string.Join(",", shares)}");
                }
            }
        }
    }
}
