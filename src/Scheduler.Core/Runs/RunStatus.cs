namespace Scheduler.Runs;

/// <summary>The fate of one run (or, for Skipped and Missed, of occurrences that were not run).</summary>
public enum RunStatus
{
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Skipped,
    Missed,
    Invalid,
}
