namespace Scheduler.Planning;

internal enum ScheduleStatus
{
    /// <summary>Valid and planned.</summary>
    Active,
    /// <summary>Enabled=false: nothing new starts; state is kept.</summary>
    Paused,
    /// <summary>The definition does not validate; <see cref="ScheduleState.Error"/> says what to fix.</summary>
    Invalid,
    /// <summary>No occurrence is left (a one-shot that ran, or EndAt passed).</summary>
    Finished,
    /// <summary>The definition row was removed; the ledger is kept.</summary>
    Deleted,
}
