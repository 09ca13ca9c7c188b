using Azure;
using Scheduler.Azure.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Azure.Admin;

/// <summary>
/// Add, change, pause, resume, remove and trigger schedules from code. Every write is validated first with the
/// dispatcher's own validator, so nothing is stored that the dispatcher would reject; writes go to the same table
/// entries a person edits, and the dispatcher picks them up on its next tick.
/// </summary>
public sealed class ScheduleAdmin(DefinitionStore definitions, StateStore states, DueIndex index, ValidationContext validation, TimeProvider clock)
{
    /// <exception cref="ScheduleValidationException">The spec does not validate; nothing was written.</exception>
    /// <exception cref="ArgumentException">Args hold a live object (stream, handle, delegate, connection); nothing was written.</exception>
    public Task<ScheduleDefinition> AddOrUpdateAsync(ScheduleKey key, ScheduleSpec spec, CancellationToken cancellationToken = default) =>
        PutAsync(key, spec.ToColumns(), cancellationToken);

    /// <summary>Validates raw columns and writes them as the whole entry.</summary>
    public async Task<ScheduleDefinition> PutAsync(ScheduleKey key, IReadOnlyDictionary<string, object?> columns, CancellationToken cancellationToken = default)
    {
        var present = columns.Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var definition = ScheduleValidator.Validate(key, present, validation);
        await definitions.ReplaceAsync(key, present, cancellationToken);
        return definition;
    }

    public Task<bool> RemoveAsync(ScheduleKey key, CancellationToken cancellationToken = default) => definitions.DeleteAsync(key, cancellationToken);

    public Task PauseAsync(ScheduleKey key, string? note = null, CancellationToken cancellationToken = default) =>
        EditAsync(key, columns =>
        {
            columns[ScheduleColumns.Enabled] = false;
            columns[ScheduleColumns.PauseNote] = note;
        }, cancellationToken);

    public Task ResumeAsync(ScheduleKey key, CancellationToken cancellationToken = default) =>
        EditAsync(key, columns =>
        {
            columns[ScheduleColumns.Enabled] = true;
            columns.Remove(ScheduleColumns.PauseNote);
        }, cancellationToken);

    /// <summary>
    /// Requests a run now. The request goes into the schedule's state and the next tick claims it like any other
    /// occurrence (same claim, ledger, overlap policy): there is no side door.
    /// </summary>
    public async Task<DateTimeOffset> TriggerNowAsync(ScheduleKey key, CancellationToken cancellationToken = default)
    {
        DateTimeOffset requested = default;
        await RequestRunsAsync(key, "trigger", now => [requested = now], cancellationToken);
        return requested;
    }

    /// <summary>The next due times of a stored schedule, after <paramref name="after"/> (default now).</summary>
    public async Task<IReadOnlyList<DateTimeOffset>> PreviewAsync(ScheduleKey key, int count, DateTimeOffset? after = null, CancellationToken cancellationToken = default)
    {
        var entity = await definitions.GetAsync(key, cancellationToken) ?? throw new KeyNotFoundException($"no schedule {key}");
        var definition = ScheduleValidator.Validate(key, DefinitionStore.ColumnsOf(entity), validation);
        return ScheduleTimeline.For(definition).Preview(after ?? clock.GetUtcNow(), count);
    }

    /// <summary>
    /// Queues the occurrences of a past range as runs with their original due times (so their idempotency keys are
    /// the ones the schedule would have used), skipping those the ledger shows succeeded. They run as the schedule's
    /// concurrency allows: one after another unless Overlap=AllowAll.
    /// </summary>
    public async Task<IReadOnlyList<DateTimeOffset>> BackfillAsync(ScheduleKey key, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        if (to < from)
        {
            throw new ArgumentException($"the range ends ({to:O}) before it starts ({from:O})");
        }

        var entity = await definitions.GetAsync(key, cancellationToken) ?? throw new KeyNotFoundException($"no schedule {key}");
        var definition = ScheduleValidator.Validate(key, DefinitionStore.ColumnsOf(entity), validation);
        var succeeded = (await states.ReadRunsAsync(key, cancellationToken: cancellationToken))
            .Where(r => r.Status == Runs.RunStatus.Succeeded).Select(r => r.Due).ToHashSet();
        var occurrences = new List<DateTimeOffset>();
        var timeline = ScheduleTimeline.For(definition);
        for (var next = timeline.Next(from.AddTicks(-1)); next is { } n && n <= to; next = timeline.Next(n))
        {
            if (!succeeded.Contains(n))
            {
                occurrences.Add(n);
            }

            if (occurrences.Count > DuePlanner.MaxBuffered)
            {
                throw new ArgumentException($"the range holds more than {DuePlanner.MaxBuffered} occurrences to backfill; split it into smaller ranges");
            }
        }

        if (occurrences.Count > 0)
        {
            await RequestRunsAsync(key, "backfill", _ => occurrences, cancellationToken);
        }

        return occurrences;
    }

    /// <summary>
    /// Adds requested runs to the schedule's state, re-applied if the dispatcher changes the state meanwhile. The index
    /// entry is written first, so the next tick finds the request whatever happens after.
    /// </summary>
    private async Task RequestRunsAsync(ScheduleKey key, string what, Func<DateTimeOffset, IReadOnlyList<DateTimeOffset>> dues, CancellationToken cancellationToken)
    {
        while (true)
        {
            var current = await states.GetAsync(key, cancellationToken)
                ?? throw new InvalidOperationException($"schedule {key} has not been picked up by a dispatcher yet; {what} it after the next tick");
            if (current.State.Status is ScheduleStatus.Invalid or ScheduleStatus.Deleted)
            {
                throw new InvalidOperationException($"schedule {key} is {current.State.Status}{(current.State.Error is { } e ? $": {e}" : "")}; fix it before you {what} it");
            }

            var now = clock.GetUtcNow();
            var state = Completion.RequestRuns(current.State, dues(now), now);
            await index.UpsertAsync(now, key, cancellationToken);
            try
            {
                await states.ReplaceAsync(current, state, current.WakeAt is { } w && w < now ? w : now, now, cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // The dispatcher changed the state meanwhile; apply the request to the new state.
            }
        }
    }

    private async Task EditAsync(ScheduleKey key, Action<Dictionary<string, object?>> change, CancellationToken cancellationToken)
    {
        var entity = await definitions.GetAsync(key, cancellationToken) ?? throw new KeyNotFoundException($"no schedule {key}");
        var columns = DefinitionStore.ColumnsOf(entity);
        change(columns);
        await PutAsync(key, columns, cancellationToken);
    }
}
