using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Azure.Storage;

/// <summary>An entry of the due index: a schedule that may have work at <paramref name="WakeAt"/>.</summary>
public sealed record DueEntry(DateTimeOffset WakeAt, ScheduleKey Key, string RowKey);

/// <summary>
/// One partition whose row keys are "wake ticks|schedule key", so "what is due now" is a single range read that returns
/// only due rows however many schedules exist. The index is a hint, the state row is the truth: a stale entry costs one
/// read and is moved; an entry must exist at or before every schedule's wake time, so entries are written before the
/// state that needs them and removed after.
/// </summary>
public sealed class DueIndex(SchedulerTables tables)
{
    public const string Partition = "due";

    private TableClient Table => tables.DueIndex;

    public async Task<IReadOnlyList<DueEntry>> QueryDueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var bound = Ticks(now.AddTicks(1));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey lt {bound}");
        var due = new List<DueEntry>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            due.Add(Parse(e.RowKey));
            if (due.Count >= max)
            {
                break;
            }
        }

        return due;
    }

    /// <summary>The earliest wake time before <paramref name="before"/>, or null: what a precise tick waits for.</summary>
    public async Task<DateTimeOffset?> PeekEarliestAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey lt {Ticks(before)}");
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            return Parse(e.RowKey).WakeAt;
        }

        return null;
    }

    public Task UpsertAsync(DateTimeOffset wakeAt, ScheduleKey key, CancellationToken cancellationToken) =>
        Table.UpsertEntityAsync(new TableEntity(Partition, RowKey(wakeAt, key)), TableUpdateMode.Replace, cancellationToken);

    public async Task DeleteAsync(DateTimeOffset wakeAt, ScheduleKey key, CancellationToken cancellationToken) =>
        await Table.DeleteEntityAsync(Partition, RowKey(wakeAt, key), ETag.All, cancellationToken);

    /// <summary>Replaces the entry at <paramref name="from"/> with one at <paramref name="to"/> (none when null), in one transaction when both exist.</summary>
    public async Task MoveAsync(DateTimeOffset? from, DateTimeOffset? to, ScheduleKey key, CancellationToken cancellationToken)
    {
        if (from == to)
        {
            return;
        }

        var actions = new List<TableTransactionAction>();
        if (to is { } t)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(Partition, RowKey(t, key))));
        }

        if (from is { } f)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(Partition, RowKey(f, key)), ETag.All));
        }

        try
        {
            await Table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404)
        {
            // The old entry was already moved by another instance; the new one must still exist.
            if (to is { } target)
            {
                await UpsertAsync(target, key, cancellationToken);
            }
        }
    }

    public static string RowKey(DateTimeOffset wakeAt, ScheduleKey key) => $"{Ticks(wakeAt)}|{key.Value}";

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    private static DueEntry Parse(string rowKey)
    {
        var bar = rowKey.IndexOf('|', StringComparison.Ordinal);
        var ticks = long.Parse(rowKey[..bar], CultureInfo.InvariantCulture);
        return new DueEntry(new DateTimeOffset(ticks, TimeSpan.Zero), ScheduleKey.Parse(rowKey[(bar + 1)..]), rowKey);
    }
}
