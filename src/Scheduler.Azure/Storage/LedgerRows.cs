using System.Text.Json;
using Azure.Data.Tables;
using Scheduler.Jobs;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>Columns to merge into one run's ledger row, which the state store addresses.</summary>
internal sealed record RunRowMerge(DateTimeOffset Due, int Attempt, IReadOnlyDictionary<string, object?> Columns)
{
    public TableEntity ToEntity(StateLayout layout, ScheduleKey key)
    {
        var row = layout.RunEntity(key, Due, Attempt);
        foreach (var (column, value) in Columns)
        {
            row[column] = value;
        }

        return row;
    }
}

/// <summary>Builds and reads ledger rows.</summary>
internal static class LedgerRows
{
    public static TableEntity Claimed(StateLayout layout, ScheduleKey key, string job, ClaimedRun run, string instance, DateTimeOffset now) =>
        new(layout.Partition(key), layout.RunRow(key, run.Due, run.Attempt))
        {
            ["Job"] = job,
            ["Status"] = RunStatus.Running.ToString(),
            ["Due"] = Iso.Format(run.Due),
            ["Attempt"] = run.Attempt,
            ["Reason"] = run.Reason.ToString(),
            ["Instance"] = instance,
            ["ClaimedAt"] = Iso.Format(now),
            ["LeaseUntil"] = Iso.Format(run.LeaseUntil),
            ["IdempotencyKey"] = IdempotencyKeys.For(key, run.Due),
        };

    /// <summary>A queued run that started: merged into its Running row, so the ledger holds the lease the state holds.</summary>
    public static RunRowMerge Started(DateTimeOffset due, int attempt, DateTimeOffset now, DateTimeOffset leaseUntil) =>
        new(due, attempt, new Dictionary<string, object?>
        {
            ["StartedAt"] = Iso.Format(now),
            ["LeaseUntil"] = Iso.Format(leaseUntil),
        });

    public static TableEntity Finished(StateLayout layout, ScheduleKey key, ClaimedRun run, RunOutcome outcome, string instance) =>
        new(layout.Partition(key), layout.RunRow(key, run.Due, run.Attempt))
        {
            ["Status"] = outcome.Status.ToString(),
            ["Due"] = Iso.Format(run.Due),
            ["Attempt"] = run.Attempt,
            ["Instance"] = instance,
            ["StartedAt"] = Iso.Format(outcome.StartedAt),
            ["FinishedAt"] = Iso.Format(outcome.FinishedAt),
            ["DurationMs"] = (long)(outcome.FinishedAt - outcome.StartedAt).TotalMilliseconds,
            ["ErrorType"] = outcome.ErrorType,
            ["ErrorMessage"] = StateEntity.Truncate(outcome.ErrorMessage),
            ["SkipReason"] = outcome.SkipReason,
            ["InputsRead"] = outcome.InputsRead is { Count: > 0 } inputs ? StateEntity.Truncate(JsonSerializer.Serialize(inputs), 30_000) : null,
        };

    public static TableEntity Note(StateLayout layout, ScheduleKey key, string job, LedgerNote note, string instance, DateTimeOffset now) =>
        new(layout.Partition(key), layout.RunRow(key, note.FirstDue, 0))
        {
            ["Job"] = job,
            ["Status"] = note.Status.ToString(),
            ["Due"] = Iso.Format(note.FirstDue),
            ["LastDue"] = Iso.Format(note.LastDue),
            ["Count"] = note.Count,
            ["Attempt"] = 0,
            ["Reason"] = note.Reason,
            ["Instance"] = instance,
            ["FinishedAt"] = Iso.Format(now),
        };

    /// <summary>
    /// A run whose lease ran out without a result. Merged into its row: a run lost with its host becomes Lost (outcome
    /// unknown); an abandoned run keeps its TimedOut and only learns that its handler's end was never seen.
    /// </summary>
    public static TableEntity LeaseEnded(StateLayout layout, ScheduleKey key, InFlightRun run, DateTimeOffset now)
    {
        var row = layout.RunEntity(key, run.Due, run.Attempt);
        row["LeaseEndedAt"] = Iso.Format(now);
        if (run.Abandoned)
        {
            row["HandlerEnd"] = $"not seen: instance {run.Instance} stopped before the abandoned handler ended";
            return row;
        }

        row["Status"] = RunStatus.Lost.ToString();
        row["FinishedAt"] = Iso.Format(now);
        row["ErrorType"] = "LeaseExpired";
        row["ErrorMessage"] = run.Queued
            ? $"claimed for the queue at {run.ClaimedAt:O} and never started before its lease ended at {run.LeaseUntil:O} (the message was lost, or RunOccurrence kept failing before it could start)"
            : $"instance {run.Instance} claimed this run at {run.ClaimedAt:O} and reported no result before its lease ended at {run.LeaseUntil:O} (crashed or stopped); the outcome is unknown";
        return row;
    }

    /// <summary>A ledger row as written; a column that does not read is left out and named in <see cref="LedgerEntry.Fault"/>.</summary>
    public static LedgerEntry Read(TableEntity e)
    {
        var row = new RowReader(e);
        var entry = new LedgerEntry(
            e.RowKey,
            row.Named<RunStatus>("Status") ?? RunStatus.Running,
            row.Instant("Due") ?? DateTimeOffset.MinValue,
            row.Int("Attempt", 0) ?? 0,
            row.Text("SkipReason") ?? row.Text("Reason"), // a job's own skip reason says more than why it was claimed
            row.Text("Instance"),
            row.Instant("StartedAt"),
            row.Instant("FinishedAt"),
            row.Text("ErrorType"),
            row.Text("ErrorMessage"),
            row.Long("Count", 1) ?? 1,
            row.Instant("LastDue"),
            row.Text("InputsRead"),
            row.Instant("ClaimedAt"),
            row.Instant("LeaseUntil"));
        return row.Faults.Count == 0 ? entry : entry with { Fault = string.Join("; ", row.Faults) };
    }

    public static EditEntry ReadEdit(TableEntity e)
    {
        var row = new RowReader(e);
        var entry = new EditEntry(row.Text("Change") ?? "", row.Instant("DetectedAt") ?? default, row.Text("Previous"), row.Text("New"), row.Text("Status") ?? "", row.Text("Error"), ChangedAt: row.Instant("ChangedAt"));
        return row.Faults.Count == 0 ? entry : entry with { Fault = string.Join("; ", row.Faults) };
    }
}
