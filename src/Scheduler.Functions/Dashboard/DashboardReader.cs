using Azure;
using Azure.Data.Tables;
using Scheduler.Admin;
using Scheduler.Storage;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Functions.Dashboard;

/// <summary>
/// What the pages show, read with the scheduler's own stores and validator. The list reads one page of entries and
/// their states (no page reads a table in full but the overview, which reads one narrow row per schedule).
/// </summary>
internal sealed class DashboardReader(
    SchedulerTables tables, DefinitionStore definitions, StateStore states, JobCatalogStore catalog, LedgerAudit audit, ValidationContext validation, TimeProvider clock)
{
    public static readonly TimeSpan RecentWindow = TimeSpan.FromHours(24);
    public static readonly TimeSpan LateAfter = TimeSpan.FromMinutes(1);

    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<OverviewData> OverviewAsync(CancellationToken cancellationToken)
    {
        var now = Now;
        var all = new List<StateSummary>();
        await foreach (var summary in states.SummarizeAsync(cancellationToken))
        {
            all.Add(summary);
        }

        var byStatus = all.GroupBy(s => s.Status?.ToString() ?? "Unreadable").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new OverviewData(
            all.Count,
            byStatus,
            [.. all.Where(s => s.Status == ScheduleStatus.Invalid).OrderBy(s => s.Key.Value, StringComparer.Ordinal)],
            [.. all.Where(s => s.InFlight > 0).OrderBy(s => s.Key.Value, StringComparer.Ordinal)],
            [.. all.Where(s => s.LastStatus is RunStatus.Failed or RunStatus.TimedOut or RunStatus.Missed or RunStatus.Lost && s.LastFinishedAt >= now - RecentWindow)
                .OrderByDescending(s => s.LastFinishedAt)],
            [.. all.Where(s => s.Status == ScheduleStatus.Active && s.InFlight == 0 && s.NextDue < now - LateAfter).OrderBy(s => s.NextDue)]);
    }

    /// <summary>One page of entries (optionally those whose id starts with <paramref name="search"/>) with their states.</summary>
    public async Task<ListPage> ListAsync(string? search, string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        var filter = string.IsNullOrEmpty(search) ? null : TableClient.CreateQueryFilter($"RowKey ge {search} and RowKey lt {search + '\uffff'}");
        Page<TableEntity>? page = null;
        await foreach (var p in tables.Schedules.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: cancellationToken).AsPages(continuation, pageSize))
        {
            page = p;
            break;
        }

        IReadOnlyList<TableEntity> entities = page?.Values ?? [];
        var loaded = await Task.WhenAll(entities.Select(async e =>
        {
            var key = DefinitionStore.KeyOf(e);
            return Row(key, DefinitionStore.ColumnsOf(e), await states.GetAsync(key, cancellationToken));
        }));
        return new ListPage([.. loaded], page?.ContinuationToken);
    }

    public async Task<DetailData> DetailAsync(ScheduleKey key, CancellationToken cancellationToken)
    {
        var stateTask = states.GetAsync(key, cancellationToken);
        var runsTask = states.ReadRunsAsync(key, 50, cancellationToken);
        var editsTask = states.ReadEditsAsync(key, 20, cancellationToken);
        var entity = await definitions.GetAsync(key, cancellationToken);
        var columns = entity is null ? null : DefinitionStore.ColumnsOf(entity);
        ScheduleDefinition? definition = null;
        IReadOnlyList<string> errors = [];
        if (columns is not null)
        {
            ScheduleValidator.TryValidate(key, columns, validation, out definition, out errors);
        }

        IReadOnlyList<DateTimeOffset> next = definition is { Enabled: true } ? ScheduleTimeline.For(definition).Preview(Now, 10) : [];
        return new DetailData(key, entity?.ETag.ToString(), columns, definition, errors,
            await stateTask, next, await runsTask, await editsTask);
    }

    public Task<IReadOnlyList<(string Name, string? Description, string? ExampleArgs)>> JobsAsync(CancellationToken cancellationToken) =>
        catalog.ListAsync(cancellationToken);

    public Task<IReadOnlyList<ScheduleAudit>> AuditAsync(DateTimeOffset from, DateTimeOffset to, DateTimeOffset settledBefore, CancellationToken cancellationToken) =>
        audit.AuditAsync(from, to, settledBefore, cancellationToken);

    private ListRow Row(ScheduleKey key, Dictionary<string, object?> columns, LoadedState? state)
    {
        var valid = ScheduleValidator.TryValidate(key, columns, validation, out var definition, out var errors);
        var zone = definition?.TimeZone ?? NodaTime.DateTimeZone.Utc;
        return new ListRow(
            key,
            columns.GetValueOrDefault(ScheduleColumns.Job) as string,
            valid ? ScheduleDescription.Describe(definition!.Trigger, zone) : "(does not validate)",
            definition?.TimeZone.Id ?? columns.GetValueOrDefault(ScheduleColumns.TimeZone) as string ?? "UTC",
            zone,
            state?.State.Status.ToString() ?? (valid ? "New" : "Invalid"),
            state?.State.Status == ScheduleStatus.Paused || definition is { Enabled: false },
            state?.State.NextDue,
            state?.State.LastDue,
            state?.State.LastStatus?.ToString(),
            state?.State.Error ?? (valid ? null : string.Join("; ", errors)));
    }
}

internal sealed record OverviewData(
    int Total,
    IReadOnlyDictionary<string, int> ByStatus,
    IReadOnlyList<StateSummary> Invalid,
    IReadOnlyList<StateSummary> InFlight,
    IReadOnlyList<StateSummary> RecentProblems,
    IReadOnlyList<StateSummary> Late);

internal sealed record ListRow(
    ScheduleKey Key, string? Job, string When, string ZoneId, NodaTime.DateTimeZone Zone, string Status, bool Paused,
    DateTimeOffset? NextDue, DateTimeOffset? LastDue, string? LastStatus, string? Error);

internal sealed record ListPage(IReadOnlyList<ListRow> Rows, string? Continuation);

internal sealed record DetailData(
    ScheduleKey Key,
    string? ETag,
    Dictionary<string, object?>? Columns,
    ScheduleDefinition? Definition,
    IReadOnlyList<string> Errors,
    LoadedState? State,
    IReadOnlyList<DateTimeOffset> Next,
    IReadOnlyList<LedgerEntry> Runs,
    IReadOnlyList<EditEntry> Edits);
