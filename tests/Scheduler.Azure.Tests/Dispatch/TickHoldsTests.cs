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
}
