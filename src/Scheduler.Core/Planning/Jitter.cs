namespace Scheduler.Planning;

/// <summary>A delay derived from the occurrence itself (FNV-1a of key and due time), so every instance computes the same start time.</summary>
internal static class Jitter
{
    public static TimeSpan For(string scheduleKey, DateTimeOffset due, TimeSpan max)
    {
        if (max <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        const ulong Prime = 1099511628211;
        var hash = 14695981039346656037;
        foreach (var c in scheduleKey)
        {
            hash = (hash ^ c) * Prime;
        }

        var ticks = due.UtcTicks;
        for (var i = 0; i < 8; i++)
        {
            hash = (hash ^ (byte)(ticks >> (i * 8))) * Prime;
        }

        var milliseconds = (long)(hash % (ulong)Math.Max(1, (long)max.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(milliseconds);
    }
}
