using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Schedules;

namespace Scheduler.Storage;

/// <summary>Where a layout migration stands after a step: finished, or why it waits, and how many schedules the step moved.</summary>
internal sealed record MigrationStep(bool Done, string Status, int Moved = 0, int LeftInPlace = 0);

/// <summary>
/// Moves tables of layout 2 (a state-table partition per schedule) to layout 3 (the shards' partitions) in place,
/// while instances go on dispatching. In order: (1) it waits until no shard lease is held by a version that cannot
/// follow a move (leases say which layouts their holder reads); (2) it announces the move on the layout row (version
/// 4), naming an instant <see cref="SchedulerOptions.LayoutMoveNotice"/> away, before which every process still acts on layout 2 and by
/// which every process has read the row again (<see cref="ShardStore.LayoutRereadEvery"/>), so from then on new
/// states go to layout 3 only; (3) one process at a time (a lease on the layout row) moves every schedule
/// (<see cref="LayoutMove"/>) and sweeps again until none is left; (4) the row says layout 3.
/// Every process runs it at start-up; on layout 3 it reads nothing (the layout is known).
/// </summary>
internal sealed class LayoutMigration(SchedulerTables tables, ShardStore shards, LayoutMove move, SchedulerOptions options, TimeProvider clock, ILogger<LayoutMigration> logger)
{
    private const int Page = 500;

    /// <summary>
    /// <see cref="SchedulerOptions.LayoutMoveNotice"/>: four times <see cref="ShardStore.LayoutRereadEvery"/>, room for
    /// processes' clocks to differ and a write decided under layout 2 to land.
    /// </summary>
    private TimeSpan Announcement => options.LayoutMoveNotice;

    /// <summary>How long the process moving rows holds the move before another may take it over (renewed as it goes).</summary>
    private TimeSpan MoverLease => options.LayoutMoveNotice;

    private TimeSpan Pause => options.LayoutMoveNotice / 8;

    /// <summary>
    /// Steps until the tables are layout 3, pausing between steps that wait; a step that fails is logged and tried
    /// again (tables a host has not created yet included). On layout 3 it ends at its first look, which reads nothing
    /// once the layout is known.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? said = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            MigrationStep step;
            try
            {
                step = (await shards.LayoutAsync(cancellationToken)).Version == Layouts.Target
                    ? new MigrationStep(true, "")
                    : await StepAsync(cancellationToken);
            }
            catch (Azure.RequestFailedException ex) when (ex.Status == 404)
            {
                step = new MigrationStep(false, "waiting for the tables to be created"); // a host that creates them at its first tick
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Moving the state table to layout 3: a step failed; trying again in {Seconds} s", Pause.TotalSeconds);
                step = new MigrationStep(false, "failed");
            }

            if (step.Status.Length > 0 && step.Status != said)
            {
                logger.LogInformation("Moving the state table to layout 3: {Status}", step.Status);
                said = step.Status;
            }

            if (step.Done)
            {
                return;
            }

            if (step.Moved == 0)
            {
                await Task.Delay(Pause, clock, cancellationToken);
            }
        }
    }

    /// <summary>One step of the move: what it did, or why it waits.</summary>
    public async Task<MigrationStep> StepAsync(CancellationToken cancellationToken)
    {
        var layout = await shards.RereadLayoutAsync(null, cancellationToken);
        var now = clock.GetUtcNow();
        if (layout.Version == Layouts.Target)
        {
            return new MigrationStep(true, "the tables are layout 3");
        }

        if (layout.Move is null)
        {
            return await AnnounceAsync(layout, now, cancellationToken);
        }

        if (now < layout.Move.MovesFrom)
        {
            return new MigrationStep(false, $"announced; rows move from {Iso.Format(layout.Move.MovesFrom)}");
        }

        if (layout.Move.Migrator is { } other && other != options.InstanceId && layout.Move.MigratorUntil > now)
        {
            return new MigrationStep(false, $"{other} is moving rows (its hold lasts until {Iso.Format(layout.Move.MigratorUntil)})");
        }

        var held = await HoldAsync(layout, now, cancellationToken);
        if (held is null)
        {
            return new MigrationStep(false, "another process changed the layout row first");
        }

        return await SweepAsync(held, cancellationToken);
    }

    private async Task<MigrationStep> AnnounceAsync(TablesLayout layout, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = await shards.ReadAsync(cancellationToken);
        var older = rows.Leases.Where(l => l.Lease.Owner.Length > 0 && l.Lease.ExpiresAt > now && l.Reads < Layouts.Moving).ToList();
        if (older.Count > 0)
        {
            var holders = string.Join(", ", older.Select(l => l.Lease.Owner).Distinct());
            return new MigrationStep(false,
                $"waiting: shards [{string.Join(",", older.Select(l => l.Lease.Shard))}] are held by {holders}, of a version that cannot follow a move; it starts when they stop (their leases end by {Iso.Format(older.Max(l => l.Lease.ExpiresAt))})");
        }

        var movesFrom = now + Announcement;
        return await shards.ReplaceLayoutAsync(layout, Layouts.MoveRow(layout.ShardCount, movesFrom, options.InstanceId), cancellationToken) is null
            ? new MigrationStep(false, "another process changed the layout row first")
            : new MigrationStep(false, $"announced; rows move from {Iso.Format(movesFrom)}");
    }

    /// <summary>Moves every schedule still in layout 2, a page at a time, renewing the hold; when a sweep finds none, the row says layout 3.</summary>
    private async Task<MigrationStep> SweepAsync(TablesLayout held, CancellationToken cancellationToken)
    {
        var to = (ShardedLayout)held.State;
        var moved = 0;
        var left = new List<string>();
        var page = new List<(ScheduleKey Key, TableEntity State)>();
        var filter = PerScheduleLayout.Instance.StateRowsFilters().Single();
        await foreach (var row in tables.State.QueryAsync<TableEntity>(filter, maxPerPage: Page, cancellationToken: cancellationToken))
        {
            if (!PerScheduleLayout.Instance.TryReadStateKey(row, out var key, out _))
            {
                left.Add(row.PartitionKey);
                continue;
            }

            page.Add((key, row));
            if (page.Count == Page)
            {
                moved += await MovePageAsync(page, to, cancellationToken);
                page.Clear();
                if (await RenewAsync(held, cancellationToken) is not { } renewed)
                {
                    return new MigrationStep(false, $"moved {moved}; another process took the move over", moved);
                }

                held = renewed;
            }
        }

        moved += await MovePageAsync(page, to, cancellationToken);
        foreach (var partition in left)
        {
            logger.LogWarning("State table row (PartitionKey \"{Partition}\", RowKey \"state\") names no schedule (group|id) and is left where it is; nothing reads it after the move, so delete it", partition);
        }

        if (moved > 0)
        {
            return new MigrationStep(false, $"moved {moved} schedules", moved, left.Count);
        }

        var done = await shards.ReplaceLayoutAsync(held, Layouts.Moved(held.ShardCount, clock.GetUtcNow(), options.InstanceId), cancellationToken);
        return done is null
            ? new MigrationStep(false, "another process took the move over", 0, left.Count)
            : new MigrationStep(true, $"every schedule moved; the tables are layout 3{(left.Count > 0 ? $" ({left.Count} rows that name no schedule left in place)" : "")}", 0, left.Count);
    }

    private async Task<int> MovePageAsync(IReadOnlyList<(ScheduleKey Key, TableEntity State)> states, ShardedLayout to, CancellationToken cancellationToken)
    {
        var moved = 0;
        await Parallel.ForEachAsync(states, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (state, ct) =>
        {
            if (await move.MoveAsync(state.Key, to, ct, scanned: state.State))
            {
                Interlocked.Increment(ref moved);
            }
        });
        return moved;
    }

    private async Task<TablesLayout?> RenewAsync(TablesLayout held, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return held.Move!.MigratorUntil - now > MoverLease / 2
            ? held
            : await HoldAsync(held, now, cancellationToken);
    }

    /// <summary>Takes or renews this process's hold on the move (the layout row, conditional on its ETag); null when another process changed the row first.</summary>
    private Task<TablesLayout?> HoldAsync(TablesLayout layout, DateTimeOffset now, CancellationToken cancellationToken) =>
        shards.ReplaceLayoutAsync(layout, Layouts.MoveRow(layout.ShardCount, layout.Move!.MovesFrom, options.InstanceId, now + MoverLease), cancellationToken);
}
