using Azure;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Admin;

/// <summary>
/// Add, change, pause, resume, remove and trigger schedules from code. Every write is validated first with the
/// dispatcher's own validator, so nothing is stored that the dispatcher would reject; writes go to the same table
/// entries a person edits, conditional on the version read, so a concurrent edit (Storage Explorer, the portal,
/// another tool) is never silently overwritten. The dispatcher picks them up on its next tick.
/// </summary>
public sealed class ScheduleAdmin
{
    private readonly DefinitionStore definitions;
    private readonly StateStore states;
    private readonly DueIndex index;
    private readonly ValidationContext validation;
    private readonly ConflictRetry retry;
    private readonly TimeProvider clock;

    // Internal: resolved from the container AddScheduler builds (registered with a factory, as the parameters are internal).
    internal ScheduleAdmin(DefinitionStore definitions, StateStore states, DueIndex index, ValidationContext validation, ConflictRetry retry, TimeProvider clock)
    {
        this.definitions = definitions;
        this.states = states;
        this.index = index;
        this.validation = validation;
        this.retry = retry;
        this.clock = clock;
    }

    /// <summary>Writes the schedule whatever is stored (code that owns the schedule: seeding, deploy-time setup).</summary>
    /// <exception cref="ScheduleValidationException">The spec does not validate; nothing was written.</exception>
    /// <exception cref="ArgumentException">Args hold a live object (stream, handle, delegate, connection); nothing was written.</exception>
    public Task AddOrUpdateAsync(ScheduleKey key, ScheduleSpec spec, CancellationToken cancellationToken = default) =>
        PutAsync(key, spec.ToColumns(), ifMatch: null, cancellationToken);

    /// <summary>Adds a schedule that must not exist yet.</summary>
    /// <exception cref="ScheduleConflictException">An entry with this key exists; it was left as it is.</exception>
    internal async Task<ScheduleDefinition> AddAsync(ScheduleKey key, IReadOnlyDictionary<string, object?> columns, CancellationToken cancellationToken = default)
    {
        var (present, definition) = Validated(key, columns);
        try
        {
            await definitions.AddAsync(key, present, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            throw await ConflictAsync(key, $"schedule {key} exists already; change it instead of adding it", cancellationToken);
        }

        return definition;
    }

    /// <summary>
    /// Validates raw columns and writes them as the whole entry: only over the version <paramref name="ifMatch"/> that
    /// was read (or unconditionally when null).
    /// </summary>
    /// <exception cref="ScheduleConflictException">The entry changed since it was read; it was left as it is now.</exception>
    internal async Task<ScheduleDefinition> PutAsync(ScheduleKey key, IReadOnlyDictionary<string, object?> columns, ETag? ifMatch = null, CancellationToken cancellationToken = default)
    {
        var (present, definition) = Validated(key, columns);
        try
        {
            await definitions.ReplaceAsync(key, present, ifMatch, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            throw await ConflictAsync(key, $"schedule {key} was changed by someone else after it was read; nothing was written. Look at it again and repeat the change", cancellationToken);
        }

        return definition;
    }

    /// <summary>Removes the entry (only the version <paramref name="ifMatch"/> when given); false when there was none.</summary>
    /// <exception cref="ScheduleConflictException">The entry changed since it was read; it was not removed.</exception>
    public async Task<bool> RemoveAsync(ScheduleKey key, ETag? ifMatch = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await definitions.DeleteAsync(key, ifMatch, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            throw await ConflictAsync(key, $"schedule {key} was changed by someone else after it was read; it was not removed", cancellationToken);
        }
    }

    /// <summary>Pauses the schedule. Re-applied to the latest version if it changes meanwhile, so no other edit is lost.</summary>
    public Task PauseAsync(ScheduleKey key, string? note = null, CancellationToken cancellationToken = default) =>
        EditAsync(key, columns =>
        {
            columns[ScheduleColumns.Enabled] = false;
            columns[ScheduleColumns.PauseNote] = note;
        }, cancellationToken);

    /// <summary>Resumes the schedule. Re-applied to the latest version if it changes meanwhile, so no other edit is lost.</summary>
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

    private (Dictionary<string, object?> Present, ScheduleDefinition Definition) Validated(ScheduleKey key, IReadOnlyDictionary<string, object?> columns)
    {
        var present = columns.Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        return (present, ScheduleValidator.Validate(key, present, validation));
    }

    private async Task<ScheduleConflictException> ConflictAsync(ScheduleKey key, string message, CancellationToken cancellationToken)
    {
        var now = await definitions.GetAsync(key, cancellationToken);
        return new ScheduleConflictException(key, now is null ? null : DefinitionStore.ColumnsOf(now), message);
    }

    /// <summary>
    /// Adds requested runs to the schedule's state, re-applied if the dispatcher changes the state meanwhile. The index
    /// entry is written first, so the next tick finds the request whatever happens after.
    /// </summary>
    private async Task RequestRunsAsync(ScheduleKey key, string what, Func<DateTimeOffset, IReadOnlyList<DateTimeOffset>> dues, CancellationToken cancellationToken) =>
        await retry.ExecuteAsync(async ct =>
        {
            var current = await states.GetAsync(key, ct)
                ?? throw new InvalidOperationException($"schedule {key} has not been picked up by a dispatcher yet; {what} it after the next tick");
            if (current.State.Status is ScheduleStatus.Invalid or ScheduleStatus.Deleted)
            {
                throw new InvalidOperationException($"schedule {key} is {current.State.Status}{(current.State.Error is { } e ? $": {e}" : "")}; fix it before you {what} it");
            }

            var now = clock.GetUtcNow();
            var state = Completion.RequestRuns(current.State, [.. dues(now)], now);
            await index.UpsertAsync(now, key, ct);
            return await states.ReplaceAsync(current, state, current.WakeAt is { } w && w < now ? w : now, now, ct);
        }, cancellationToken);

    /// <summary>A one-column change (pause, resume): read, change, write If-Match; on a conflict, re-read and re-apply.</summary>
    private async Task EditAsync(ScheduleKey key, Action<Dictionary<string, object?>> change, CancellationToken cancellationToken) =>
        await retry.ExecuteAsync(async ct =>
        {
            var entity = await definitions.GetAsync(key, ct) ?? throw new KeyNotFoundException($"no schedule {key}");
            var columns = DefinitionStore.ColumnsOf(entity);
            change(columns);
            var (present, _) = Validated(key, columns);
            return await definitions.ReplaceAsync(key, present, entity.ETag, ct);
        }, cancellationToken);
}
