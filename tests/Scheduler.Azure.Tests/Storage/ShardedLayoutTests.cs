using Azure.Data.Tables;
using Scheduler.Schedules;
using Scheduler.Sharding;

namespace Scheduler.Storage.Tests.Storage;

/// <summary>Layout 3's keys: every schedule's rows are its own, however its id is spelled, and only its state row reads as a state.</summary>
public sealed class ShardedLayoutTests
{
    private static readonly ShardedLayout Layout = new(8);
    private static readonly DateTimeOffset Due = new(2031, 1, 6, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Ids that a naive "group|id|…" key would confuse: each a prefix of another once '|' or '%' is read as a separator.</summary>
    private static readonly string[] Spellings = ["a", "a|b", "a|b|c", "a%7Cb", "a%b", "a%25", "%", "|", "a|", "é|ü", "a b"];

    public static TheoryData<string> Ids() => [.. Spellings];

    [Theory]
    [MemberData(nameof(Ids))]
    public void AStateRow_ReadsBackAsItsOwnKey(string id)
    {
        var key = new ScheduleKey("g", id);
        var row = Layout.StateEntity(key);

        Assert.True(Layout.TryReadStateKey(row, out var read, out var reason), reason);
        Assert.Equal(key, read);
        Assert.Equal(ShardedLayout.ShardPartition(ShardMap.ShardOf(key, 8)), row.PartitionKey);
    }

    [Fact]
    public void ASchedulesHistoryRange_HoldsItsOwnRowsAndNoOtherSchedules()
    {
        var keys = Spellings.Select(id => new ScheduleKey("g", id)).ToList();
        foreach (var key in keys)
        {
            foreach (var kind in new[] { HistoryRows.Runs, HistoryRows.Edits })
            {
                var (from, to) = Range(Layout.HistoryFilter(key, kind));
                foreach (var other in keys)
                {
                    var rowKey = kind == HistoryRows.Runs ? Layout.RunRow(other, Due, 1) : Layout.EditRow(other, Due, "i");
                    var inRange = string.CompareOrdinal(rowKey, from) >= 0 && string.CompareOrdinal(rowKey, to) < 0;
                    Assert.True(inRange == (other == key), $"{rowKey} in [{from}, {to}) is {inRange} for {key.Value}");
                }

                Assert.False(string.CompareOrdinal(Layout.StateRow(key), from) >= 0 && string.CompareOrdinal(Layout.StateRow(key), to) < 0);
            }
        }
    }

    [Theory]
    [InlineData("state|no-bar", "not a schedule key")]
    [InlineData("state|", "not a schedule key")]
    [InlineData("state|g|a%7", "not a schedule key")]
    [InlineData("state|g|a%41", "not a schedule key")]
    [InlineData("state|g|a|b", "not a schedule key")]
    [InlineData("run|g|a|0000000000000000001-001", "not a schedule key")]
    public void ARowThatIsNotAStateLayoutThreeWrote_ReadsAsAFault(string rowKey, string reason)
    {
        var row = new TableEntity(Layout.Partition(new ScheduleKey("g", "a")), rowKey);

        Assert.False(Layout.TryReadStateKey(row, out _, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public void AStateRowInAnotherShardsPartition_NamesTheShardItBelongsIn()
    {
        var key = new ScheduleKey("g", "a");
        var home = Layout.Partition(key);
        var row = new TableEntity(home == "shard-00" ? "shard-01" : "shard-00", Layout.StateRow(key));

        Assert.False(Layout.TryReadStateKey(row, out _, out var why));
        Assert.Contains($"belongs in partition \"{home}\"", why, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryStateRowOfEveryShard_IsInExactlyOneScanRange_AndNoRunOrEditRowIs()
    {
        var filters = Layout.StateRowsFilters();
        Assert.Equal(8, filters.Count);
        Assert.All(filters, f => Assert.Contains("RowKey ge 'state|' and RowKey lt 'state}'", f, StringComparison.Ordinal));
        Assert.Equal(8, filters.Select(f => f[..f.IndexOf(" and", StringComparison.Ordinal)]).Distinct().Count());
        Assert.Equal(8, Layout.RunRowsFilters("FinishedAt lt 'x'").Count(f => f.Contains("RowKey ge 'run|' and RowKey lt 'run}' and (FinishedAt lt 'x')", StringComparison.Ordinal)));
    }

    private static (string From, string To) Range(string filter)
    {
        var from = filter[(filter.IndexOf("RowKey ge '", StringComparison.Ordinal) + 11)..];
        var to = filter[(filter.IndexOf("RowKey lt '", StringComparison.Ordinal) + 11)..];
        return (from[..from.IndexOf('\'', StringComparison.Ordinal)].Replace("''", "'", StringComparison.Ordinal), to[..to.IndexOf('\'', StringComparison.Ordinal)]);
    }
}
