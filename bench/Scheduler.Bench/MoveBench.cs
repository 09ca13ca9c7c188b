using System.Diagnostics;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Schedules;
using Scheduler.Storage;

namespace Scheduler.Bench;

/// <summary>One move of layout-2 tables to layout 3, on Azurite or the Azure profile.</summary>
public sealed record MoveResult(string Storage, int Schedules, int RunsEach, long Rows, double Seconds, long Requests, long Throttled)
{
    public override string ToString() => FormattableString.Invariant(
        $"move on {Storage}: {Schedules:N0} schedules ({Rows:N0} rows: state, edit and {RunsEach} ledger rows each) in {Seconds:F1} s, {Schedules / Seconds:F0} schedules/s, {(double)Requests / Schedules:F2} requests a schedule, {Throttled} throttled");
}

/// <summary>
/// How long moving layout-2 tables to layout 3 takes (<see cref="LayoutMigration"/>), one process moving with nothing
/// else running: N schedules applied on layout-2 tables (state and edit row each) plus ledger rows written as runs
/// leave them, then the move announced, its notice waited out, and the sweep timed with its requests counted.
/// </summary>
public static class MoveBench
{
    public const string Begin = "<!-- bench/run.sh --only move writes from here -->";
    public const string End = "<!-- bench/run.sh --only move writes up to here -->";
    private const int RunsEach = 5;

    public static async Task<IReadOnlyList<MoveResult>> RunAsync(string connectionString, int schedules, TimeSpan azureLatency, TextWriter log)
    {
        var results = new List<MoveResult> { await MoveAsync(connectionString, schedules, profile: null) };
        log.WriteLine(results[^1]);
        results.Add(await MoveAsync(connectionString, schedules, new AzureProfilePolicy(azureLatency)));
        log.WriteLine(results[^1]);
        return results;
    }

    private static async Task<MoveResult> MoveAsync(string connectionString, int schedules, AzureProfilePolicy? profile)
    {
        var prefix = "v" + Guid.NewGuid().ToString("N")[..8];
        var notice = TimeSpan.FromSeconds(4);
        var due = new TableClient(connectionString, prefix + new Hosting.TableNames().DueIndex);
        await due.CreateIfNotExistsAsync();
        await due.AddEntityAsync(Layouts.New(PerScheduleLayout.Instance.Version, 8));
        await using var instance = new Instance(connectionString, prefix, "mover", o => { o.ReconcileInterval = TimeSpan.FromDays(1); o.LayoutMoveNotice = notice; });
        await instance.InitializeAsync();
        await Seeding.WriteAsync(instance.Tables.Schedules, schedules, _ => new() { [ScheduleColumns.Job] = "noop", [ScheduleColumns.Cron] = "0 0 1 1 *" });
        await instance.Reconciler.ReconcileAsync(default);
        await WriteLedgerRowsAsync(instance.Tables.State, schedules);
        await using var mover = profile is null ? null : new Instance(connectionString, prefix, "mover", o => { o.ReconcileInterval = TimeSpan.FromDays(1); o.LayoutMoveNotice = notice; }, profile);
        var migration = (mover ?? instance).Services.GetRequiredService<LayoutMigration>();
        var requests = (mover ?? instance).Requests;

        var announced = await migration.StepAsync(default);
        if (!announced.Status.StartsWith("announced", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the move was not announced: {announced.Status}");
        }

        await Task.Delay(notice + TimeSpan.FromMilliseconds(100));
        var before = requests.Total;
        var watch = Stopwatch.StartNew();
        var moved = 0;
        for (var step = await migration.StepAsync(default); ; step = await migration.StepAsync(default))
        {
            moved += step.Moved;
            if (step.Done)
            {
                break;
            }

            if (step.Moved == 0)
            {
                throw new InvalidOperationException($"the move stopped: {step.Status}");
            }
        }

        var seconds = watch.Elapsed.TotalSeconds;
        if (moved != schedules)
        {
            throw new InvalidOperationException($"moved {moved} of {schedules} schedules");
        }

        return new MoveResult(profile is null ? "Azurite" : "the Azure profile", schedules, RunsEach, schedules * (2L + RunsEach), seconds, requests.Total - before, profile?.Throttled ?? 0);
    }

    /// <summary>Ledger rows as finished runs leave them, <see cref="RunsEach"/> a schedule, in each schedule's layout-2 partition.</summary>
    private static async Task WriteLedgerRowsAsync(TableClient state, int schedules)
    {
        var start = DateTimeOffset.UtcNow.AddDays(-RunsEach);
        var batches = Enumerable.Range(0, schedules).Select(i => new ScheduleKey($"g{i / 100:D4}", $"s{i:D6}")).Select(key =>
            Enumerable.Range(0, RunsEach).Select(r => new TableEntity(key.Value, StateKeys.Run(start.AddDays(r), 1))
            {
                ["Status"] = "Succeeded", ["Attempt"] = 1, ["Due"] = Iso.Format(start.AddDays(r)), ["Instance"] = "bench",
                ["StartedAt"] = Iso.Format(start.AddDays(r)), ["FinishedAt"] = Iso.Format(start.AddDays(r).AddSeconds(1)),
            }));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (rows, ct) =>
            await state.SubmitTransactionAsync(rows.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct));
    }

    public static string Merge(string page, IReadOnlyList<MoveResult> results, string command)
    {
        var lines = string.Join("\n", results.Select(r => $"- {r}"));
        var block = $"{Begin}\n\n### Moving layout-2 tables to layout 3\n\nGenerated by `{command}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, Azurite in memory. " +
            "One process moves every schedule (`LayoutMigration`: mark, copy ledger and edit rows, insert the layout-3 state, delete the layout-2 rows; 8 schedules at a time) with nothing else running; " +
            "the time is the sweep's, from the end of the move's notice to the layout row saying 3. Instances dispatch on during a move (README: Layouts); a schedule not yet moved costs its reader one more request. " +
            "Each schedule's ledger and edit rows are read by a query on its layout-2 partition, which Azure answers from that partition and Azurite by filtering every row of the table (`queryTableEntities`), so on Azurite the rate falls as the table grows: compare sizes, and read the requests a schedule.\n\n" +
            lines + "\n\n" + End;
        return Sections.Replace(page, Begin, End, block);
    }
}
