namespace Scheduler.Runs;

/// <summary>The fate of one run (or, for Skipped and Missed, of occurrences that were not run).</summary>
internal enum RunStatus
{
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Skipped,
    Missed,
    Invalid,
    /// <summary>The instance running it stopped (crash, kill, scale-in) without reporting: its lease ran out and the outcome is unknown.</summary>
    Lost,
}
