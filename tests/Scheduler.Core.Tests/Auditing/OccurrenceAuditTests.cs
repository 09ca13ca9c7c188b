using System.Globalization;
using Scheduler.Auditing;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Core.Tests.Auditing;

public sealed class OccurrenceAuditTests
{
    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static readonly ScheduleTimeline EveryMinute =
        new(CronTrigger.Parse("* * * * *", TimeZones.Utc, DstPolicy.Shift), null, null);

    [Fact]
    public void Audit_GivesEveryOccurrenceItsFate()
    {
        // Arrange: 10:00..10:07, one of each fate, 10:07 with no row at all
        var ledger = new[]
        {
            new LedgerFact(At("2026-05-01T10:00:00Z"), 1, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:01:00Z"), 1, RunStatus.Failed),
            new LedgerFact(At("2026-05-01T10:01:00Z"), 2, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:02:00Z"), 1, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:02:00Z"), 2, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:03:00Z"), 0, RunStatus.Missed, At("2026-05-01T10:04:00Z")),
            new LedgerFact(At("2026-05-01T10:05:00Z"), 0, RunStatus.Skipped),
            new LedgerFact(At("2026-05-01T10:06:00Z"), 1, RunStatus.TimedOut),
            new LedgerFact(At("2026-05-01T10:06:30Z"), 1, RunStatus.Succeeded), // a manual run
        };

        // Act
        var result = OccurrenceAudit.Audit(EveryMinute, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:07:00Z"), ledger);

        // Assert
        Assert.Equal(
        [
            OccurrenceFate.RanOnce, OccurrenceFate.RanOnce, OccurrenceFate.RanMoreThanOnce, OccurrenceFate.MissedByPolicy,
            OccurrenceFate.MissedByPolicy, OccurrenceFate.SkippedByOverlap, OccurrenceFate.FailedAfterRetries, OccurrenceFate.Unaccounted,
        ], result.Occurrences.Select(o => o.Fate));
        Assert.Equal([At("2026-05-01T10:02:00Z"), At("2026-05-01T10:07:00Z")], result.Defects.Select(d => d.Due));
        Assert.Equal([At("2026-05-01T10:06:30Z")], result.ExtraRuns);
    }

    [Fact]
    public void Audit_SeesRunningAndJobSkippedAsAccountedFor()
    {
        var ledger = new[]
        {
            new LedgerFact(At("2026-05-01T10:00:00Z"), 1, RunStatus.Running),
            new LedgerFact(At("2026-05-01T10:01:00Z"), 1, RunStatus.Skipped),
        };

        var result = OccurrenceAudit.Audit(EveryMinute, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:01:00Z"), ledger);

        Assert.Equal([OccurrenceFate.InProgress, OccurrenceFate.SkippedByJob], result.Occurrences.Select(o => o.Fate));
        Assert.Empty(result.Defects);
    }

    [Fact]
    public void Audit_LastAttemptLostWithItsHost_IsLostWithHost_NotAFailureAndNoDefect()
    {
        // Arrange: 10:00 lost three times (re-runs stop at their limit); 10:01 lost, then failed by the job
        var ledger = new[]
        {
            new LedgerFact(At("2026-05-01T10:00:00Z"), 1, RunStatus.Lost),
            new LedgerFact(At("2026-05-01T10:00:00Z"), 2, RunStatus.Lost),
            new LedgerFact(At("2026-05-01T10:00:00Z"), 3, RunStatus.Lost),
            new LedgerFact(At("2026-05-01T10:01:00Z"), 1, RunStatus.Lost),
            new LedgerFact(At("2026-05-01T10:01:00Z"), 2, RunStatus.Failed),
        };

        // Act
        var result = OccurrenceAudit.Audit(EveryMinute, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:01:00Z"), ledger);

        // Assert
        Assert.Equal([OccurrenceFate.LostWithHost, OccurrenceFate.FailedAfterRetries], result.Occurrences.Select(o => o.Fate));
        Assert.Equal(3, result.Occurrences[0].Attempts);
        Assert.Empty(result.Defects);
    }

    [Fact]
    public void Audit_AgainstDueTimesTheCallerComputed_JudgesThoseAndCallsOtherRunsExtra()
    {
        // Arrange: the caller's own due times (every 30 s), whatever a timeline would say
        var dues = new[] { At("2026-05-01T10:00:00Z"), At("2026-05-01T10:00:30Z"), At("2026-05-01T10:01:00Z") };
        var ledger = new[]
        {
            new LedgerFact(At("2026-05-01T10:00:00Z"), 1, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:01:00Z"), 1, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:00:45Z"), 1, RunStatus.Succeeded),
        };

        // Act
        var result = OccurrenceAudit.Audit(dues, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:01:00Z"), ledger);

        // Assert
        Assert.Equal([OccurrenceFate.RanOnce, OccurrenceFate.Unaccounted, OccurrenceFate.RanOnce], result.Occurrences.Select(o => o.Fate));
        Assert.Equal([At("2026-05-01T10:00:45Z")], result.ExtraRuns);
    }
}
