using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scheduler.Jobs;
using Scheduler.Schedules;

namespace Scheduler.Admin;

/// <summary>A schedule described in code; becomes the same flat columns a person would type into the Schedules table.</summary>
public sealed record ScheduleSpec
{
    public required string Job { get; init; }
    public string? Cron { get; init; }
    public TimeSpan? Interval { get; init; }
    public DateTimeOffset? RunAt { get; init; }
    public string? TimeZone { get; init; }
    public DateTimeOffset? StartAt { get; init; }
    public DateTimeOffset? EndAt { get; init; }
    public bool Enabled { get; init; } = true;
    public string? PauseNote { get; init; }
    /// <summary>Plain data only (anything System.Text.Json writes as an object): never a stream, handle, delegate or connection.</summary>
    public object? Args { get; init; }
    public string? Input { get; init; }
    public int? MisfireGraceSeconds { get; init; }
    public CoalescePolicy? Coalesce { get; init; }
    public OverlapPolicy? Overlap { get; init; }
    public int? MaxConcurrency { get; init; }
    public int? JitterSeconds { get; init; }
    public int? MaxAttempts { get; init; }
    public int? RetryBackoffSeconds { get; init; }
    public int? RetryBackoffMaxSeconds { get; init; }
    public int? TimeoutSeconds { get; init; }
    public DstPolicy? DstPolicy { get; init; }
    public string? Description { get; init; }

    internal Dictionary<string, object?> ToColumns() => new(StringComparer.Ordinal)
    {
        [ScheduleColumns.Job] = Job,
        [ScheduleColumns.Cron] = Cron,
        [ScheduleColumns.Interval] = Interval?.ToString("c", CultureInfo.InvariantCulture),
        [ScheduleColumns.RunAt] = RunAt?.ToUniversalTime(),
        [ScheduleColumns.TimeZone] = TimeZone,
        [ScheduleColumns.StartAt] = StartAt?.ToUniversalTime(),
        [ScheduleColumns.EndAt] = EndAt?.ToUniversalTime(),
        [ScheduleColumns.Enabled] = Enabled,
        [ScheduleColumns.PauseNote] = PauseNote,
        [ScheduleColumns.Args] = ArgsJson(Args),
        [ScheduleColumns.Input] = Input,
        [ScheduleColumns.MisfireGraceSeconds] = MisfireGraceSeconds,
        [ScheduleColumns.Coalesce] = Coalesce?.ToString(),
        [ScheduleColumns.Overlap] = Overlap?.ToString(),
        [ScheduleColumns.MaxConcurrency] = MaxConcurrency,
        [ScheduleColumns.JitterSeconds] = JitterSeconds,
        [ScheduleColumns.MaxAttempts] = MaxAttempts,
        [ScheduleColumns.RetryBackoffSeconds] = RetryBackoffSeconds,
        [ScheduleColumns.RetryBackoffMaxSeconds] = RetryBackoffMaxSeconds,
        [ScheduleColumns.TimeoutSeconds] = TimeoutSeconds,
        [ScheduleColumns.DstPolicy] = DstPolicy?.ToString(),
        [ScheduleColumns.Description] = Description,
    };

    /// <summary>Args as JSON text, after refusing live objects with a message naming the member.</summary>
    internal static string? ArgsJson(object? args) => args switch
    {
        null => null,
        string json => json,
        JsonNode node => node.ToJsonString(),
        JsonElement element => element.GetRawText(),
        _ => Serialize(args),
    };

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private static string Serialize(object args)
    {
        PlainDataGuard.EnsurePlainData(args);
        return JsonSerializer.Serialize(args, args.GetType(), WebJson);
    }
}
