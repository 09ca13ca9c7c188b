using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>
/// What a schedule's ledger says about a state row that was lost or damaged: the last occurrence it planned (so an
/// occurrence that already ran is not run again) and the runs still in flight (so their leases are watched).
/// </summary>
internal sealed class LedgerRecovery(StateStore states)
{
    /// <summary>How much of the ledger (newest first) is read.</summary>
    private const int Rows = 100;

    /// <summary>
    /// <paramref name="state"/> with its last due time taken from the ledger when that is later, and, when
    /// <paramref name="lostRuns"/>, its runs in flight rebuilt from the ledger's Running rows.
    /// </summary>
    public async Task<ScheduleState> RecoverAsync(ScheduleKey key, ScheduleState state, bool lostRuns, CancellationToken cancellationToken)
    {
        var rows = (await states.ReadRunsAsync(key, Rows, cancellationToken)).Where(r => r.Fault is null && r.Due != DateTimeOffset.MinValue).ToList();
        var lastDue = rows.Select(r => r.LastDue ?? r.Due).Append(state.LastDue ?? DateTimeOffset.MinValue).Max();
        var inFlight = rows
            .Where(r => r.Status == RunStatus.Running && r.LeaseUntil is not null && r.Instance is not null && r.Attempt > 0)
            .Select(r => new InFlightRun(r.Due, r.Attempt, r.LeaseUntil!.Value, r.Instance!, r.ClaimedAt ?? r.LeaseUntil!.Value))
            .ToList();
        return state with
        {
            LastDue = lastDue == DateTimeOffset.MinValue ? null : lastDue,
            InFlight = lostRuns ? inFlight : state.InFlight,
        };
    }
}
