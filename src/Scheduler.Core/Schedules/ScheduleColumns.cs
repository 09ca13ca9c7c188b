namespace Scheduler.Schedules;

/// <summary>The flat, human-editable columns of a Schedules table entry.</summary>
public static class ScheduleColumns
{
    public const string Job = "Job";
    public const string Cron = "Cron";
    public const string Interval = "Interval";
    public const string RunAt = "RunAt";
    public const string TimeZone = "TimeZone";
    public const string StartAt = "StartAt";
    public const string EndAt = "EndAt";
    public const string Enabled = "Enabled";
    public const string PauseNote = "PauseNote";
    public const string Args = "Args";
    public const string Input = "Input";
    public const string MisfireGraceSeconds = "MisfireGraceSeconds";
    public const string Coalesce = "Coalesce";
    public const string Overlap = "Overlap";
    public const string MaxConcurrency = "MaxConcurrency";
    public const string JitterSeconds = "JitterSeconds";
    public const string MaxAttempts = "MaxAttempts";
    public const string RetryBackoffSeconds = "RetryBackoffSeconds";
    public const string RetryBackoffMaxSeconds = "RetryBackoffMaxSeconds";
    public const string TimeoutSeconds = "TimeoutSeconds";
    public const string DstPolicy = "DstPolicy";
    public const string Description = "Description";

    public static readonly IReadOnlyList<string> All =
    [
        Job, Cron, Interval, RunAt, TimeZone, StartAt, EndAt, Enabled, PauseNote, Args, Input,
        MisfireGraceSeconds, Coalesce, Overlap, MaxConcurrency, JitterSeconds, MaxAttempts,
        RetryBackoffSeconds, RetryBackoffMaxSeconds, TimeoutSeconds, DstPolicy, Description,
    ];
}
