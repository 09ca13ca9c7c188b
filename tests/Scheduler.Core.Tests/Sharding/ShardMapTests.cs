using Scheduler.Schedules;
using Scheduler.Sharding;

namespace Scheduler.Core.Tests.Sharding;

public sealed class ShardMapTests
{
    [Fact]
    public void AKeysShard_IsFixedAcrossProcessesAndVersions()
    {
        // Pinned values (FNV-1a of "default|<id>" mod 8, computed apart from this code): a change of the hash would strand every deployment's due entries in partitions no one reads.
        Assert.Equal(
            [2, 6, 6, 7],
            new[] { "heartbeat", "file-import", "cleanup", "nightly" }.Select(id => ShardMap.ShardOf(new ScheduleKey(ScheduleKey.DefaultGroup, id), 8)));
        Assert.Equal(0, ShardMap.ShardOf(new ScheduleKey("any", "thing"), 1));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(64)]
    public void TenThousandKeys_SpreadEvenly(int count)
    {
        var sizes = new int[count];
        foreach (var i in Enumerable.Range(0, 10_000))
        {
            sizes[ShardMap.ShardOf(new ScheduleKey($"g{i % 7}", $"s{i:D6}"), count)]++;
        }

        var mean = 10_000.0 / count;
        Assert.All(sizes, size => Assert.InRange(size, mean * 0.8, mean * 1.2));
    }
}
