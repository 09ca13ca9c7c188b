using System.Diagnostics;
using System.Diagnostics.Metrics;
using Scheduler.Dispatch;
using Scheduler.Planning;
using Scheduler.Runs;
using static Scheduler.Telemetry.SchedulerTelemetry;

namespace Scheduler.Telemetry;

/// <summary>
/// The scheduler's instruments (meter <see cref="SchedulerTelemetry.MeterName"/>), one set per process. Recording
/// costs nothing measurable when no listener is attached.
/// </summary>
internal sealed class SchedulerMetrics : IDisposable
{
    private readonly Meter _meter = new(MeterName, InstrumentationVersion);
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _lateness;
    private readonly Counter<long> _notRun;
    private readonly Counter<long> _conflicts;
    private readonly Histogram<double> _tickDuration;
    private readonly Histogram<long> _tickRequests;
    private readonly Counter<long> _tickErrors;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _invalid = new(StringComparer.Ordinal);
    private long _backlog;

    public SchedulerMetrics()
    {
        _runs = _meter.CreateCounter<long>("scheduler.runs", "{run}", "Runs that ended, by job and outcome (succeeded, failed, timed_out, skipped, lost)");
        _duration = _meter.CreateHistogram<double>("scheduler.run.duration", "s", "How long runs took, by job and outcome");
        _lateness = _meter.CreateHistogram<double>("scheduler.run.start_lateness", "s", "How long after its due time a scheduled occurrence's first attempt started, by job");
        _notRun = _meter.CreateCounter<long>("scheduler.occurrences.not_run", "{occurrence}", "Occurrences not run by policy, by job and reason (missed: misfire policy; skipped: overlap policy)");
        _conflicts = _meter.CreateCounter<long>("scheduler.claim.conflicts", "{conflict}", "Claims that lost their conditional write to another instance (harmless; many mean instances contend)");
        _tickDuration = _meter.CreateHistogram<double>("scheduler.tick.duration", "s", "How long ticks took");
        _tickRequests = _meter.CreateHistogram<long>("scheduler.tick.storage_requests", "{request}", "Storage requests per tick");
        _tickErrors = _meter.CreateCounter<long>("scheduler.tick.errors", "{error}", "Errors in ticks: a schedule that could not be dispatched, or a tick that failed whole (storage unreachable)");
        _meter.CreateObservableGauge("scheduler.due.backlog", () => Interlocked.Read(ref _backlog), "{entry}", "Due index entries due at the start of this process's last tick");
        _meter.CreateObservableGauge("scheduler.schedules.invalid", () => _invalid.Count, "{schedule}", "Schedules marked invalid (their message says what to fix), as this process last saw them");
    }

    public void RunEnded(string job, ClaimedRun claim, RunOutcome outcome)
    {
        var tags = new TagList { { Attributes.Job, job }, { Attributes.Outcome, OutcomeValue(outcome.Status) } };
        _runs.Add(1, tags);
        _duration.Record(Math.Max(0, (outcome.FinishedAt - outcome.StartedAt).TotalSeconds), tags);
        if (claim.Attempt == 1 && claim.Reason == ClaimReason.Scheduled)
        {
            _lateness.Record(Math.Max(0, (outcome.StartedAt - claim.Due).TotalSeconds), new TagList { { Attributes.Job, job } });
        }
    }

    public void Committed(string? job, Plan plan)
    {
        job ??= "";
        var lost = plan.Expired.Count(r => !r.Abandoned);
        if (lost > 0)
        {
            _runs.Add(lost, new TagList { { Attributes.Job, job }, { Attributes.Outcome, OutcomeValue(RunStatus.Lost) } });
        }

        foreach (var note in plan.Notes)
        {
            var reason = note.Status == RunStatus.Missed ? "missed" : "skipped";
            _notRun.Add(note.Count, new TagList { { Attributes.Job, job }, { Attributes.Reason, reason } });
        }
    }

    public void Conflict() => _conflicts.Add(1);

    public void TickEnded(TickReport report)
    {
        _tickDuration.Record(report.Duration.TotalSeconds);
        _tickRequests.Record(report.StorageRequests);
        Interlocked.Exchange(ref _backlog, report.DueEntries);
        if (report.Errors.Count > 0)
        {
            _tickErrors.Add(report.Errors.Count);
        }
    }

    public void TickFailed() => _tickErrors.Add(1);

    /// <summary>What the applier found an entry to be (every instance sees every entry's version, so all converge).</summary>
    public void Validity(string schedule, bool valid)
    {
        if (valid)
        {
            _invalid.TryRemove(schedule, out _);
        }
        else
        {
            _invalid.TryAdd(schedule, 0);
        }
    }

    public void Dispose() => _meter.Dispose();
}
