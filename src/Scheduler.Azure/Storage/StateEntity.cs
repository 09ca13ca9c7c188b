using System.Text.Json;
using Azure.Data.Tables;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Azure.Storage;

/// <summary>Maps <see cref="ScheduleState"/> to and from its row. Lists are JSON columns; times are ISO strings.</summary>
internal static class StateEntity
{
    public static TableEntity ToEntity(ScheduleKey key, ScheduleState state, DateTimeOffset? wakeAt, string? job, DateTimeOffset now)
    {
        var entity = new TableEntity(key.Value, StateKeys.State)
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

    public static ScheduleState FromEntity(TableEntity entity) => new()
    {
        Status = Enum.TryParse<ScheduleStatus>(entity.GetString("Status"), out var status) ? status : ScheduleStatus.Active,
        Error = entity.GetString("Error"),
        DefinitionETag = entity.GetString("DefinitionETag"),
        Definition = entity.GetString("Definition"),
        Timing = entity.GetString("Timing"),
        NextDue = Iso.Parse(entity.GetString("NextDue")),
        InFlight = entity.GetString("InFlight") is { } inFlight ? JsonSerializer.Deserialize<List<InFlightRun>>(inFlight)! : [],
        Pending = entity.GetString("Pending") is { } pending
            ? JsonSerializer.Deserialize<long[][]>(pending)!.Select(p => new PendingRun(Ticks(p[0]), (int)p[1], Ticks(p[2]), (PendingKind)p[3])).ToList()
            : [],
        LastDue = Iso.Parse(entity.GetString("LastDue")),
        LastStatus = Enum.TryParse<RunStatus>(entity.GetString("LastStatus"), out var last) ? last : null,
        LastFinishedAt = Iso.Parse(entity.GetString("LastFinishedAt")),
        LastError = entity.GetString("LastError"),
    };

    internal static string? Truncate(string? text, int max = 4000) => text is null || text.Length <= max ? text : text[..max] + "…";

    private static DateTimeOffset Ticks(long ticks) => new(ticks, TimeSpan.Zero);
}
