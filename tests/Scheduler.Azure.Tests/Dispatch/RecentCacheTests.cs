using Scheduler.Dispatch;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>The bounded cache of parsed definitions (pure, no storage).</summary>
public sealed class RecentCacheTests
{
    [Fact]
    public void ManyMoreKeysThanAGeneration_LeaveAtMostTwoGenerations()
    {
        var cache = new RecentCache<int, string>(generation: 100);

        for (var i = 0; i < 10_000; i++)
        {
            Assert.Equal($"v{i}", cache.GetOrAdd(i, static (k, _) => $"v{k}", 0));
            Assert.InRange(cache.Count, 1, 200);
        }
    }

    [Fact]
    public void AKeyUsedInEveryGeneration_IsCreatedOnce_AndOneUsedOnce_IsCreatedAgainTwoGenerationsLater()
    {
        var cache = new RecentCache<string, int>(generation: 50);
        var created = new Dictionary<string, int>();
        int Create(string key, int _)
        {
            created[key] = created.GetValueOrDefault(key) + 1;
            return key.Length;
        }

        cache.GetOrAdd("once", Create, 0);
        for (var i = 0; i < 1_000; i++)
        {
            cache.GetOrAdd($"cold{i}", Create, 0);
            if (i % 20 == 0)
            {
                cache.GetOrAdd("hot", Create, 0);
            }
        }

        cache.GetOrAdd("once", Create, 0);

        Assert.Equal(1, created["hot"]);
        Assert.Equal(2, created["once"]);
    }

    [Fact]
    public void ThreadsAddingAtOnce_GetTheirOwnValues_AndTheBoundHolds()
    {
        var cache = new RecentCache<int, int>(generation: 64);
        var wrong = 0;

        Parallel.For(0, 4, t =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                var key = (i * 7919 + t) % 5_000;
                if (cache.GetOrAdd(key, static (k, _) => k * 2, 0) != key * 2)
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        });

        Assert.Equal(0, wrong);
        Assert.InRange(cache.Count, 1, 2 * (64 + 4)); // each generation may take one add a thread beyond its size while it turns
    }
}
