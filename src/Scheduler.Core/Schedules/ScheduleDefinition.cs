namespace Scheduler.Schedules;

/// <summary>A validated schedule: a job name plus data, and when to run it. Immutable; built only by <see cref="ScheduleValidator"/>.</summary>
internal sealed record ScheduleDefinition(
    ScheduleKey Key,
    string Job,
    TriggerSpec Trigger,
    NodaTime.DateTimeZone TimeZone,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    bool Enabled,
    string? PauseNote,
    string ArgsJson,
    InputLocation? Input,
    SchedulePolicies Policies,
    string? Description);
