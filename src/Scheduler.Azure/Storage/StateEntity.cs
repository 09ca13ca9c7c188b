using System.Text.Json;
using Azure.Data.Tables;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>Maps <see cref="ScheduleState"/> to and from its row. Lists are JSON columns; times are ISO strings.</summary>
internal static class StateEntity
{
    public static TableEntity ToEntity(StateLayout layout, ScheduleKey key, ScheduleState state, DateTimeOffset? wakeAt, string? job, DateTimeOffset now)
    {
        var entity = new TableEntity(layout.Partition(key), layout.StateRow(key))
        {
            ["Group"] = key.Group,
            ["Id"] = key.Id,
            ["Job"] = job,
            ["Status"] = state.Status.ToString(),
            ["Error"] = Truncate(state.Error),
            ["DefinitionETag"] = state.DefinitionETag,
            ["Definition"] = state.Definition,
            ["Timing"] = state.Timing,
            ["NextDue"] = Iso.Format(state.NextDue),
            ["WakeAt"] = Iso.Format(wakeAt),
            ["InFlightCount"] = state.InFlight.Count,
            ["InFlight"] = state.InFlight.Count == 0 ? null : JsonSerializer.Serialize(state.InFlight),
            ["Pending"] = state.Pending.Count == 0 ? null : JsonSerializer.Serialize(state.Pending.Select(p => new long[] { p.Due.UtcTicks, p.Attempt, p.NotBefore.UtcTicks, (long)p.Kind })),
            ["LastDue"] = Iso.Format(state.LastDue),
            ["LastStatus"] = state.LastStatus?.ToString(),
            ["LastFinishedAt"] = Iso.Format(state.LastFinishedAt),
            ["LastError"] = Truncate(state.LastError),
            ["UpdatedAt"] = Iso.Format(now),
        };
        return entity;
    }

    /// <summary>
    /// The state as stored. A column that does not read (a person or a tool wrote it) is left at its default and named
    /// in <paramref name="faults"/>; when it is one the plan depends on, the state forgets which definition it was
    /// planned from, so the definition is applied to it again before anything is claimed.
    /// </summary>
    public static ScheduleState FromEntity(TableEntity entity, out IReadOnlyList<string> faults)
    {
        var row = new RowReader(entity);
        var status = row.Named<ScheduleStatus>("Status");
        var definitionETag = row.Text("DefinitionETag");
        var definition = row.Text("Definition");
        var timing = row.Text("Timing");
        var nextDue = row.Instant("NextDue");
        var planFaults = row.Faults.Count;
        var state = new ScheduleState
        {
            Status = status ?? ScheduleStatus.Active,
            Error = row.Text("Error"),
            DefinitionETag = definitionETag,
            Definition = definition,
            Timing = timing,
            NextDue = nextDue,
            InFlight = row.Json<List<InFlightRun>, List<InFlightRun>>("InFlight", runs => runs.Any(r => r is null || r.Instance is null) ? throw new FormatException("a run without its instance") : runs) ?? [],
            Pending = row.Json<long[][], List<PendingRun>>("Pending", rows => rows.Select(Pending).ToList()) ?? [],
            LastDue = row.Instant("LastDue"),
            LastStatus = row.Named<RunStatus>("LastStatus"),
            LastFinishedAt = row.Instant("LastFinishedAt"),
            LastError = row.Text("LastError"),
        };
        faults = row.Faults;
        return planFaults > 0 ? state with { DefinitionETag = null } : state;
    }

    /// <summary>True when <paramref name="faults"/> (from <see cref="FromEntity"/>) lost a column that says what is in flight or pending.</summary>
    public static bool LostRuns(IEnumerable<string> faults) =>
        faults.Any(f => f.StartsWith("column InFlight ", StringComparison.Ordinal) || f.StartsWith("column Pending ", StringComparison.Ordinal) || f.StartsWith("column LastDue ", StringComparison.Ordinal));

    private static PendingRun Pending(long[] p) => p is [var due, var attempt, var notBefore, var kind] && System.Enum.IsDefined((PendingKind)kind) && attempt is > 0 and < int.MaxValue
        ? new PendingRun(Ticks(due), (int)attempt, Ticks(notBefore), (PendingKind)kind)
        : throw new FormatException("a pending run is [due ticks, attempt, not-before ticks, kind]");

    internal static string? Truncate(string? text, int max = 4000) => text is null || text.Length <= max ? text : text[..max] + "…";

    private static DateTimeOffset Ticks(long ticks) => new(ticks, TimeSpan.Zero);
}
