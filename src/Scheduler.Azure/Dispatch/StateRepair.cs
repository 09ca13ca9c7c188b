using Microsoft.Extensions.Logging;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>
/// A state row someone damaged or deleted by hand, found by the dispatcher. Damaged: its definition is applied again
/// (<see cref="DefinitionApplier"/> quarantines the row's columns and rebuilds what did not read from the ledger).
/// Deleted while its definition exists: re-created from the definition and the ledger, so an occurrence that already
/// ran does not run again.
/// </summary>
internal sealed class StateRepair(
    StateStore states,
    DefinitionStore definitions,
    DefinitionApplier applier,
    LedgerRecovery recovery,
    ConflictRetry retry,
    ILogger<StateRepair> logger)
{
    /// <summary>Repairs the state of <paramref name="key"/> (read with faults); returns it as it is afterwards, or null when it is gone.</summary>
    public async Task<LoadedState?> RepairAsync(ScheduleKey key, CancellationToken cancellationToken)
    {
        await retry.ExecuteAsync(async ct => await definitions.GetAsync(key, ct) is { } entity
            ? await applier.ApplyAsync(key, entity, ct)
            : await applier.ApplyDeletedAsync(key, ct), cancellationToken);
        return await states.GetAsync(key, cancellationToken);
    }

    /// <summary>A schedule whose index entry came due without a state row: re-created when its definition exists. True when it exists now.</summary>
    public async Task<bool> RecreateAsync(ScheduleKey key, CancellationToken cancellationToken)
    {
        if (await definitions.GetAsync(key, cancellationToken) is null)
        {
            return false;
        }

        var seed = await recovery.RecoverAsync(key, ScheduleState.Empty, lostRuns: true, cancellationToken);
        logger.LogWarning(
            "The state row of {ScheduleId} was missing (deleted by hand?); re-created from its definition and its ledger (last due {LastDue:O}, {InFlight} runs in flight)",
            key.ToString(), seed.LastDue, seed.InFlight.Count);
        return await retry.ExecuteAsync(async ct =>
            await definitions.GetAsync(key, ct) is { } entity && (await applier.ApplyAsync(key, entity, ct, seed) || await states.GetAsync(key, ct) is not null), cancellationToken);
    }
}
