using System.Text;
using Scheduler.Schedules;

namespace Scheduler.Sharding;

/// <summary>
/// Which shard a schedule belongs to: a stable hash of its key (FNV-1a over the key's UTF-8), so every process,
/// every version and every tool computes the same shard. The count is a property of a deployment's tables (its
/// layout row), never of one process's settings.
/// </summary>
internal static class ShardMap
{
    /// <summary>
    /// Eight: the due index is the one table every occurrence moves an entry in, and Azure targets 2,000 entities/s per
    /// partition, so eight partitions lift that ceiling to about 8,000 occurrences/s (beyond what the account's other
    /// writes allow per schedule) and let up to eight instances split the work, while an idle poll costs eight small
    /// queries in all, not per instance.
    /// </summary>
    public const int DefaultCount = 8;

    /// <summary>Lease rows share one partition, so one entity-group transaction (at most 100 operations) can take them all.</summary>
    public const int MaxCount = 64;

    public static int ShardOf(ScheduleKey key, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return (int)(Hash(key.Value) % (uint)count);
    }

    /// <summary>32-bit FNV-1a over the text's UTF-8: small, stable and well spread for short keys.</summary>
    public static uint Hash(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return hash;
    }
}
