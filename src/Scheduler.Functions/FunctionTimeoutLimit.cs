using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Scheduler.Dispatch;
using Scheduler.Hosting;

namespace Scheduler.Functions;

/// <summary>
/// How long a run may last on the Functions host: its invocation is killed at host.json <c>functionTimeout</c> (or the
/// app setting <c>AzureFunctionsJobHost__functionTimeout</c>). Inline, a run lives inside a SchedulerTick invocation
/// that may already have waited up to one tick interval for it; queued, inside one RunOccurrence invocation. Either
/// way the handler's abandon grace and time to record the result come off the top. The limit becomes
/// Scheduler:RunTimeoutLimit, so the validator refuses longer TimeoutSeconds with a message naming both numbers.
/// </summary>
internal static class FunctionTimeoutLimit
{
    /// <summary>Time the run's result needs to be recorded before the host's deadline.</summary>
    public static readonly TimeSpan RecordMargin = TimeSpan.FromSeconds(30);

    public static void Apply(IConfigurationManager configuration, string appDirectory)
    {
        var options = configuration.GetSection(SchedulerOptions.Section).Get<SchedulerOptions>() ?? new SchedulerOptions();
        if (Compute(FunctionTimeout(configuration, appDirectory), options) is { } limit)
        {
            configuration[$"{SchedulerOptions.Section}:{nameof(SchedulerOptions.RunTimeoutLimit)}"] = limit.Limit.ToString("c", CultureInfo.InvariantCulture);
            configuration[$"{SchedulerOptions.Section}:{nameof(SchedulerOptions.RunTimeoutLimitReason)}"] = limit.Reason;
        }
    }

    /// <summary>The limit for a host whose functionTimeout is <paramref name="functionTimeout"/>; null when the host sets none.</summary>
    public static (TimeSpan Limit, string Reason)? Compute(TimeSpan? functionTimeout, SchedulerOptions options)
    {
        if (functionTimeout is not { } timeout || timeout <= TimeSpan.Zero)
        {
            return null;
        }

        var said = $"host.json functionTimeout is {timeout:c}";
        if (options.Dispatch == DispatchMode.Queue)
        {
            return (Floor(timeout - options.AbandonGrace - RecordMargin),
                $"{said}; in Queue dispatch RunOccurrence runs the job and records it within that, less {(options.AbandonGrace + RecordMargin).TotalSeconds:0} s to stop and record it");
        }

        var now = DateTimeOffset.UtcNow;
        var schedule = TickDriver.ParseTickSchedule(options.TickSchedule);
        var first = schedule.GetNextOccurrence(now, TimeZoneInfo.Utc) ?? now;
        var interval = (schedule.GetNextOccurrence(first, TimeZoneInfo.Utc) ?? first.AddMinutes(1)) - first;
        return (Floor(timeout - interval - options.AbandonGrace - RecordMargin),
            $"{said}; in Inline dispatch a run lives in a SchedulerTick invocation that may have waited up to one tick interval ({interval:c}) " +
            $"before it starts, less {(options.AbandonGrace + RecordMargin).TotalSeconds:0} s to stop and record it");
    }

    private static TimeSpan? FunctionTimeout(IConfiguration configuration, string appDirectory)
    {
        var text = configuration["AzureFunctionsJobHost:functionTimeout"];
        var hostJson = Path.Combine(appDirectory, "host.json");
        if (text is null && File.Exists(hostJson))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(hostJson), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            text = document.RootElement.TryGetProperty("functionTimeout", out var value) ? value.GetString() : null;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var timeout) ? timeout : null;
    }

    private static TimeSpan Floor(TimeSpan span) => TimeSpan.FromSeconds(Math.Max(1, Math.Floor(span.TotalSeconds)));
}
