using System.Text.Json;
using Microsoft.Extensions.Logging;
using Scheduler.Schedules;

namespace Scheduler.Jobs;

/// <summary>
/// Everything one run of a job gets: which occurrence it is, its data, its inputs and a logger. Cancellation (timeout,
/// shutdown) comes once, as <see cref="IJob.RunAsync"/>'s token.
/// </summary>
public sealed class JobContext(
    ScheduleKey schedule,
    string job,
    DateTimeOffset due,
    int attempt,
    string argsJson,
    IJobInputs inputs,
    ILogger logger)
{
    private static readonly JsonSerializerOptions ArgsOptions = new(JsonSerializerDefaults.Web);

    public ScheduleKey Schedule { get; } = schedule;
    public string Job { get; } = job;
    public DateTimeOffset Due { get; } = due;
    public int Attempt { get; } = attempt;
    public string ArgsJson { get; } = argsJson;
    public IJobInputs Inputs { get; } = inputs;
    public ILogger Logger { get; } = logger;

    /// <summary>Identifies the occurrence (schedule and due time), the same on every attempt and every instance: use it to make effects happen once.</summary>
    public string IdempotencyKey => IdempotencyKeys.For(Schedule, Due);

    /// <summary>
    /// The schedule's Args bound to <typeparamref name="T"/> (camelCase or PascalCase property names): a class with
    /// settable properties, or a record whose constructor takes them (missing ones get their defaults).
    /// </summary>
    public T GetArgs<T>()
    {
        try
        {
            return JsonSerializer.Deserialize<T>(ArgsJson, ArgsOptions) ?? JsonSerializer.Deserialize<T>("{}", ArgsOptions)!;
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Args of schedule {Schedule} do not fit {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}

internal static class IdempotencyKeys
{
    public static string For(ScheduleKey schedule, DateTimeOffset due) =>
        $"{schedule.Value}@{due.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}";
}
