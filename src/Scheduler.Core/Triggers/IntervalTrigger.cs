namespace Scheduler.Triggers;

/// <summary>A fixed period in absolute time, anchored at StartAt (or the Unix epoch, so "5m" fires at :00, :05, ... UTC).</summary>
internal sealed class IntervalTrigger(TimeSpan every, DateTimeOffset anchor) : ITrigger
{
    public TimeSpan Every => every;

    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        if (after < anchor)
        {
            return anchor;
        }

        var periods = ((after - anchor).Ticks / every.Ticks) + 1;
        return Checked(periods);
    }

    /// <summary>The latest due time at or before <paramref name="at"/>, or null before the anchor.</summary>
    public DateTimeOffset? LatestAtOrBefore(DateTimeOffset at) =>
        at < anchor ? null : Checked((at - anchor).Ticks / every.Ticks);

    /// <summary>How many due times lie in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public long CountBetween(DateTimeOffset from, DateTimeOffset to)
    {
        if (to < from || to < anchor)
        {
            return 0;
        }

        var last = (to - anchor).Ticks / every.Ticks;
        var first = from <= anchor ? 0 : ((from - anchor).Ticks + every.Ticks - 1) / every.Ticks;
        return Math.Max(0, last - first + 1);
    }

    private DateTimeOffset? Checked(long periods)
    {
        var ticks = anchor.UtcTicks + (decimal)periods * every.Ticks;
        return ticks > DateTimeOffset.MaxValue.UtcTicks ? null : new DateTimeOffset((long)ticks, TimeSpan.Zero);
    }
}
