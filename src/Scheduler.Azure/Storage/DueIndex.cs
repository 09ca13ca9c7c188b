using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>An entry of the due index: a schedule that may have work at <paramref name="WakeAt"/>.</summary>
internal sealed record DueEntry(DateTimeOffset WakeAt, ScheduleKey Key, string RowKey);

/// <summary>
/// One partition whose row keys are "wake ticks|schedule key", so "what is due now" is a single range read that returns
/// only due rows however many schedules exist. The index is a hint, the state row is the truth: a stale entry costs one
/// read and is moved; an entry must exist at or before every schedule's wake time, so entries are written before the
/// state that needs them and removed after.
/// </summary>
internal sealed class DueIndex(SchedulerTables tables)
{
    public const string Partition = "due";

    private TableClient Table => tables.DueIndex;

    /// <summary>The entries due by <paramref name="now"/>, earliest first; a row whose key does not parse goes to <paramref name="bad"/>.</summary>
    public async Task<IReadOnlyList<DueEntry>> QueryDueAsync(DateTimeOffset now, int max, ICollection<RowFault> bad, CancellationToken cancellationToken)
    {
        var bound = StateKeys.Ticks(now.AddTicks(1));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey lt {bound}");
        var due = new List<DueEntry>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (TryParse(e.RowKey, out var entry, out var reason))
            {
                due.Add(entry);
            }
            else
            {
                bad.Add(Fault(e.RowKey, reason));
            }

            if (due.Count + bad.Count >= max)
            {
                break;
            }
        }

        return due;
    }

    /// <summary>The earliest wake time before <paramref name="before"/>, or null: what a precise tick waits for. Rows that do not parse are passed over (the tick quarantines them).</summary>
    public async Task<DateTimeOffset?> PeekEarliestAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey lt {StateKeys.Ticks(before)}");
        var passedOver = 0;
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: 8, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (TryParse(e.RowKey, out var entry, out _))
            {
                return entry.WakeAt;
            }

            if (++passedOver >= 100)
            {
                return DateTimeOffset.MinValue; // due now: a tick reads and quarantines them
            }
        }

        return null;
    }

    /// <summary>Every row of the index whose key does not parse (for doctor: also those not yet due).</summary>
    public async Task<IReadOnlyList<RowFault>> FindBadRowsAsync(CancellationToken cancellationToken)
    {
        var bad = new List<RowFault>();
        await foreach (var e in Table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            if (e.PartitionKey != Partition)
            {
                bad.Add(new RowFault(Table.Name, e.PartitionKey, e.RowKey, $"the due index has one partition, \"{Partition}\"; this row is not the scheduler's"));
            }
            else if (!TryParse(e.RowKey, out _, out var reason))
            {
                bad.Add(Fault(e.RowKey, reason));
            }
        }

        return bad;
    }

    /// <summary>Removes a row that does not parse (once the quarantine holds its copy): it names no schedule, so no wake-up is lost.</summary>
    public async Task RemoveBadRowAsync(RowFault fault, CancellationToken cancellationToken) =>
        await Table.DeleteEntityAsync(fault.PartitionKey, fault.RowKey, ETag.All, cancellationToken);

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

    public static string RowKey(DateTimeOffset wakeAt, ScheduleKey key) => $"{StateKeys.Ticks(wakeAt)}|{key.Value}";

    private RowFault Fault(string rowKey, string reason) => new(Table.Name, Partition, rowKey, reason);

    /// <summary>"ticks|group|id" with 19 digits of UTC ticks, as <see cref="RowKey"/> writes it; anything else is someone else's row.</summary>
    internal static bool TryParse(string rowKey, out DueEntry entry, out string reason)
    {
        entry = null!;
        var bar = rowKey.IndexOf('|', StringComparison.Ordinal);
        if (bar != 19 || !long.TryParse(rowKey.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            reason = "RowKey is not \"<19 digits of UTC ticks>|<group>|<id>\" as the scheduler writes it";
            return false;
        }

        if (!ScheduleKey.TryParse(rowKey[(bar + 1)..], out var key))
        {
            reason = "RowKey's schedule part is not \"<group>|<id>\"";
            return false;
        }

        entry = new DueEntry(new DateTimeOffset(ticks, TimeSpan.Zero), key, rowKey);
        reason = "";
        return true;
    }
}
