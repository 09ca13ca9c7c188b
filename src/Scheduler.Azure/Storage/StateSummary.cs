using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>What an overview needs of one state row; a column that does not read is left empty.</summary>
internal sealed record StateSummary(
    ScheduleKey Key,
    string? Job,
    ScheduleStatus? Status,
    string? Error,
    DateTimeOffset? NextDue,
    int InFlight,
    RunStatus? LastStatus,
    DateTimeOffset? LastFinishedAt,
    string? LastError);
