using Scheduler.Auditing;
using Scheduler.Runs;
using static Scheduler.Core.Tests.Planning.PlannerFixture;

namespace Scheduler.Core.Tests.Auditing;

/// <summary>Which occurrences a schedule's versions call for, across edits, pauses and removal.</summary>
public sealed class ExpectedOccurrencesTests
{
    private static readonly Func<Scheduler.Schedules.ScheduleDefinition, DateTimeOffset, bool> Always = (_, _) => true;

    private static DefinitionVersion Version(string changedAt, string appliedAt, params (string Name, object? Value)[] columns) =>
        new(At(changedAt), At(appliedAt), columns.Length == 0 ? null : Definition(columns));

    [Fact]
    public void Between_FollowsEachVersionWhileInForce_AndMarksWhatFellDueDuringAnEdit()
    {
        // Arrange: every minute; at 10:05:30 changed to every 2 minutes (applied 10:06:30); paused at 10:10:10
        // (applied 10:10:20); resumed every minute at 10:14:30 (applied at once); removed, seen at 10:17:10
        var versions = new[]
        {
            Version("2026-05-01T09:59:00Z", "2026-05-01T09:59:00Z", ("Cron", "* * * * *")),
            Version("2026-05-01T10:05:30Z", "2026-05-01T10:06:30Z", ("Cron", "*/2 * * * *")),
            Version("2026-05-01T10:10:10Z", "2026-05-01T10:10:20Z", ("Cron", "*/2 * * * *"), ("Enabled", false)),
            Version("2026-05-01T10:14:30Z", "2026-05-01T10:14:30Z", ("Cron", "* * * * *")),
            Version("2026-05-01T10:16:30Z", "2026-05-01T10:17:10Z"),
        };

        // Act
        var expected = ExpectedOccurrences.Between(versions, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:20:00Z"), Always);

        // Assert: the 10:06 of the old version fell due between the change and its application (either version may
        // have run it, or neither); nothing while paused; the resumed version's 10:17 likewise fell due before its
        // removal was seen; nothing after that
        Assert.Equal(
        [
            ("10:00", false), ("10:01", false), ("10:02", false), ("10:03", false), ("10:04", false), ("10:05", false),
            ("10:06", true), ("10:08", false), ("10:10", false), ("10:15", false), ("10:16", false), ("10:17", true),
        ],
        expected.Select(e => (e.Due.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), e.AtAnEdit)));
    }

    [Fact]
    public void Audit_ReplacedByEdit_OnlyWhereTheLedgerIsSilentAtAnEdit_AndALossElsewhereStaysADefect()
    {
        // Arrange: every minute, changed at 10:02:30 and applied at 10:03:30; nothing in the ledger for 10:01 and 10:03
        var versions = new[]
        {
            Version("2026-05-01T09:59:00Z", "2026-05-01T09:59:00Z", ("Cron", "* * * * *")),
            Version("2026-05-01T10:02:30Z", "2026-05-01T10:03:30Z", ("Cron", "*/5 * * * *")),
        };
        var ledger = new[]
        {
            new LedgerFact(At("2026-05-01T10:00:00Z"), 1, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:02:00Z"), 1, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:05:00Z"), 1, RunStatus.Succeeded),
            new LedgerFact(At("2026-05-01T10:05:00Z"), 2, RunStatus.Succeeded),
        };

        // Act
        var expected = ExpectedOccurrences.Between(versions, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:06:00Z"), Always);
        var result = OccurrenceAudit.Audit(expected, At("2026-05-01T10:00:00Z"), At("2026-05-01T10:06:00Z"), ledger);

        // Assert
        Assert.Equal(
            [OccurrenceFate.RanOnce, OccurrenceFate.Unaccounted, OccurrenceFate.RanOnce, OccurrenceFate.ReplacedByEdit, OccurrenceFate.RanMoreThanOnce],
            result.Occurrences.Select(o => o.Fate));
        Assert.Equal([OccurrenceFate.Unaccounted, OccurrenceFate.RanMoreThanOnce], result.Defects.Select(d => d.Fate));
    }

    [Fact]
    public void Between_LeavesOutWhatHasNotFiredYet_AndAVersionThatNeverValidated()
    {
        // Arrange: an invalid first version (null), then every minute from 10:00:30
        var versions = new[]
        {
            Version("2026-05-01T09:00:00Z", "2026-05-01T09:00:00Z"),
            Version("2026-05-01T10:00:30Z", "2026-05-01T10:00:40Z", ("Cron", "* * * * *")),
        };

        // Act
        var expected = ExpectedOccurrences.Between(versions, At("2026-05-01T09:30:00Z"), At("2026-05-01T10:05:00Z"), (_, due) => due < At("2026-05-01T10:04:00Z"));

        // Assert: from the valid version's change on (strictly: nothing ran before to take over), until the settle time
        Assert.Equal([At("2026-05-01T10:01:00Z"), At("2026-05-01T10:02:00Z"), At("2026-05-01T10:03:00Z")], expected.Select(e => e.Due));
        Assert.All(expected, e => Assert.False(e.AtAnEdit));
    }
}
