namespace Scheduler.Schedules;

/// <summary>What to do with occurrences that were due more than the misfire grace ago (the dispatcher was down or late).</summary>
public enum CoalescePolicy
{
    /// <summary>Run once, for the most recent missed occurrence; the others are recorded Missed.</summary>
    Latest,
    /// <summary>Run once, for the earliest missed occurrence; the others are recorded Missed.</summary>
    Earliest,
    /// <summary>Run every missed occurrence, in order (catch-up), a bounded number per tick.</summary>
    All,
    /// <summary>Run none of them; all are recorded Missed.</summary>
    None,
}

/// <summary>What to do with an occurrence that falls due while earlier runs of the same schedule are still in flight.</summary>
public enum OverlapPolicy
{
    /// <summary>Record it Skipped.</summary>
    Skip,
    /// <summary>Hold one occurrence and run it when the current run ends; further ones are Skipped.</summary>
    BufferOne,
    /// <summary>Hold every occurrence (up to a cap) and run them in order.</summary>
    BufferAll,
    /// <summary>Run concurrently, up to MaxConcurrency; beyond that, Skipped.</summary>
    AllowAll,
}

/// <summary>How wall-clock times that do not exist (spring forward) or exist twice (fall back) are treated.</summary>
public enum DstPolicy
{
    /// <summary>A time in the gap runs once at the shifted time; a fixed time in the overlap runs once, interval fields run in both (Cronos' cron semantics).</summary>
    Shift,
    /// <summary>A time in the gap is skipped; the overlap behaves as in <see cref="Shift"/>.</summary>
    Skip,
    /// <summary>A time in the gap runs at the shifted time; a time in the overlap runs on both of its instants.</summary>
    Twice,
}

internal sealed record SchedulePolicies
{
    public static readonly SchedulePolicies Default = new();

    public TimeSpan MisfireGrace { get; init; } = TimeSpan.FromSeconds(60);
    public CoalescePolicy Coalesce { get; init; } = CoalescePolicy.Latest;
    public OverlapPolicy Overlap { get; init; } = OverlapPolicy.Skip;
    /// <summary>Concurrent runs allowed with <see cref="OverlapPolicy.AllowAll"/>; 1 for the other policies.</summary>
    public int MaxConcurrency { get; init; } = 1;
    public TimeSpan Jitter { get; init; } = TimeSpan.Zero;
    public int MaxAttempts { get; init; } = 1;
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromMinutes(30);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
    public DstPolicy Dst { get; init; } = DstPolicy.Shift;

    /// <summary>Runs this schedule may have in flight at once.</summary>
    public int ConcurrencyLimit => Overlap == OverlapPolicy.AllowAll ? MaxConcurrency : 1;

    /// <summary>Delay before attempt <paramref name="nextAttempt"/>: exponential from RetryBackoff, capped at RetryBackoffMax.</summary>
    public TimeSpan BackoffBefore(int nextAttempt)
    {
        var exponent = Math.Clamp(nextAttempt - 2, 0, 30);
        var ticks = RetryBackoff.Ticks * Math.Pow(2, exponent);
        return ticks >= RetryBackoffMax.Ticks ? RetryBackoffMax : TimeSpan.FromTicks((long)ticks);
    }
}
