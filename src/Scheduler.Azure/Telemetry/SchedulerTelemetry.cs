using System.Diagnostics;

namespace Scheduler.Telemetry;

/// <summary>
/// The names to give OpenTelemetry: <c>tracing.AddSource(SchedulerTelemetry.ActivitySourceName)</c> and
/// <c>metrics.AddMeter(SchedulerTelemetry.MeterName)</c>. README lists every span, metric, unit and attribute.
/// </summary>
public static class SchedulerTelemetry
{
    public const string ActivitySourceName = "Scheduler";
    public const string MeterName = "Scheduler";

    internal static readonly string InstrumentationVersion = typeof(SchedulerTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    internal static readonly ActivitySource Source = new(ActivitySourceName, InstrumentationVersion);

    /// <summary>Span and metric attribute names.</summary>
    internal static class Attributes
    {
        public const string Instance = "scheduler.instance";
        public const string Schedule = "scheduler.schedule.id";
        public const string Job = "scheduler.job";
        public const string Due = "scheduler.occurrence.due";
        public const string Attempt = "scheduler.run.attempt";
        public const string Outcome = "scheduler.run.outcome";
        public const string Reason = "scheduler.not_run.reason";
        public const string Claims = "scheduler.claims";
    }

    /// <summary>A run's outcome as an attribute value: Succeeded -> succeeded, TimedOut -> timed_out.</summary>
    internal static string OutcomeValue(Scheduler.Runs.RunStatus status) => status switch
    {
        Scheduler.Runs.RunStatus.TimedOut => "timed_out",
        var other => other.ToString().ToLowerInvariant(),
    };
}
