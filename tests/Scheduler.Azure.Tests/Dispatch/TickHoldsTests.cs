using Scheduler.Dispatch;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>Which tick holds a due schedule, and when a tick's read of the due index is too old to take one (pure, no storage).</summary>
public sealed class TickHoldsTests
{
    private static readonly ScheduleKey Key = new("default", "held");

    [Fact]
    public void AScheduleHeldByOneTick_IsNotTakenByAnother_UntilReleased()
    {
        var holds = new TickHolds();
        using (var read = holds.StartRead())
        {
            Assert.True(holds.TryTake(Key, tick: 1, read));
            Assert.False(holds.TryTake(Key, tick: 2, read));
        }

        holds.Release(Key, tick: 2); // not its holder: nothing changes
        using (var read = holds.StartRead())
        {
            Assert.False(holds.TryTake(Key, tick: 3, read));
        }

        holds.Release(Key, tick: 1);
        using (var later = holds.StartRead())
        {
            Assert.True(holds.TryTake(Key, tick: 4, later));
        }
    }

    [Fact]
    public void AReadBegunBeforeARelease_DoesNotTakeTheSchedule_AReadBegunAfterItDoes()
    {
        var holds = new TickHolds();
        using (var first = holds.StartRead())
        {
            Assert.True(holds.TryTake(Key, tick: 1, first));
        }

        var stale = holds.StartRead(); // reads the entry before tick 1 moves it
        holds.Release(Key, tick: 1);
        using (var fresh = holds.StartRead())
        {
            Assert.False(holds.TryTake(Key, tick: 2, stale));
            Assert.True(holds.TryTake(Key, tick: 3, fresh));
        }

        stale.Dispose();
        Assert.Equal(0, holds.Stamps);
    }

    [Fact]
    public void ReleasesWhileNoReadIsUnderWay_LeaveNoStamp()
    {
        var holds = new TickHolds();
        foreach (var tick in Enumerable.Range(1, 100))
        {
            var key = new ScheduleKey("default", $"s{tick}");
            using (var read = holds.StartRead())
            {
                Assert.True(holds.TryTake(key, tick, read));
            }

            holds.Release(key, tick);
        }

        Assert.Equal(0, holds.Stamps);
    }

    /// <summary>
    /// Ticks of one process end their reads at once. An end that found another read under way and then found none when
    /// it looked for the oldest threw, after its tick had taken its schedules and before it could let them go: they
    /// stayed held, unrun, while the process kept its shards (the 4-hosts scenario caught it on CI).
    /// </summary>
    [Fact]
    public async Task ReadsEndingTogether_NeverFail_AndLeaveNothingHeld()
    {
        var holds = new TickHolds();
        var start = new Barrier(4);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(thread => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 200_000; i++)
            {
                var key = new ScheduleKey("default", $"s{thread}-{i % 8}");
                var tick = (long)thread * 1_000_000 + i;
                using (var read = holds.StartRead())
                {
                    // Each thread's keys are its own and were released before this read began: always taken.
                    Assert.True(holds.TryTake(key, tick, read));
                }

                holds.Release(key, tick);
            }
        })));

        using var last = holds.StartRead();
        Assert.All(Enumerable.Range(0, 4).SelectMany(t => Enumerable.Range(0, 8).Select(k => new ScheduleKey("default", $"s{t}-{k}"))),
            key => Assert.True(holds.TryTake(key, tick: -1, last)));
    }
}
