using System.Globalization;
using Azure.Data.Tables;
using Scheduler.Schedules;

namespace Scheduler.Bench;

/// <summary>
/// Writes N schedule entries the way a bulk import would (entity-group batches of 100 per partition), then lets the
/// reconciler ingest them, as it would any table edit. Returns how long ingestion took.
/// </summary>
public static class Seeding
{
    public static async Task WriteAsync(TableClient schedules, int count, Func<int, Dictionary<string, object?>> columns)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, (count + 99) / 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
        {
            var actions = new List<TableTransactionAction>();
            for (var i = batch * 100; i < Math.Min(count, (batch + 1) * 100); i++)
            {
                var entity = new TableEntity($"g{batch:D4}", $"s{i:D6}");
                foreach (var (name, value) in columns(i).Where(c => c.Value is not null))
                {
                    entity[name] = value;
                }

                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
            }

            await schedules.SubmitTransactionAsync(actions, ct);
        });
    }

    /// <summary>
    /// A one-off run at <paramref name="due"/>, in the past by the time it is ingested: it still runs because it is
    /// within its misfire grace (a StartAt in the past would plan the next interval after the edit instead).
    /// </summary>
    public static Dictionary<string, object?> OnceAt(DateTimeOffset due) => new()
    {
        [ScheduleColumns.Job] = "noop",
        [ScheduleColumns.RunAt] = due.UtcDateTime,
        [ScheduleColumns.MisfireGraceSeconds] = 86_400,
    };

    /// <summary>Every minute at second <paramref name="i"/> mod 60: due times spread evenly across the minute.</summary>
    public static Dictionary<string, object?> EveryMinute(int i) => new()
    {
        [ScheduleColumns.Job] = "noop",
        [ScheduleColumns.Cron] = string.Create(CultureInfo.InvariantCulture, $"{i % 60} * * * * *"),
    };
}
