using System.Globalization;
using Npgsql;

namespace Scheduler.Bench;

public sealed record QuartzThroughputResult(string Store, int Schedules, int Nodes, double IngestSeconds, int Done, double Seconds, double OccurrencesPerSecond, double? TransactionsPerOccurrence, long PeakWorkingSet);

public sealed record QuartzLatencyResult(string Store, int Schedules, int Runs, double P50, double P99, double Max, long PeakWorkingSet);

/// <summary>
/// Quartz.NET doing the same work as our benchmarks, in the same run: N one-off no-op jobs due at once (throughput,
/// on 1 or 3 clustered nodes), and N cron triggers each due once a minute at spread seconds (latency and memory).
/// Nodes are child processes (<see cref="QuartzNode"/>). On PostgreSQL, the database's committed-transaction count
/// stands in for our storage request count.
/// </summary>
public static class QuartzPeer
{
    public static async Task<QuartzThroughputResult> ThroughputAsync(string store, string? postgres, int schedules, int nodes, TimeSpan cap)
    {
        var started = new List<NodeProcess>();
        var database = store == "postgres" ? postgres : null; // whose transactions to count
        try
        {
            var first = StartNode(store, postgres, "n1", schedules, "once");
            started.Add(first);
            var ingestMs = await first.ReadyAsync();
            for (var i = 2; i <= nodes; i++)
            {
                started.Add(StartNode(store, postgres, $"n{i}", 0, "once"));
            }

            foreach (var node in started.Skip(1))
            {
                await node.ReadyAsync();
            }

            var transactionsBefore = await CommittedTransactionsAsync(database);
            var drain = await NodeProcess.DrainAsync(started, schedules, cap, $"Quartz {store} x {nodes}");
            var transactions = await CommittedTransactionsAsync(database) - transactionsBefore;
            return new QuartzThroughputResult(store, schedules, nodes, ingestMs / 1000.0, drain.Ran, drain.Seconds, drain.Ran / drain.Seconds,
                transactions is { } t ? (double)t / drain.Ran : null, drain.PeakWorkingSet);
        }
        finally
        {
            foreach (var node in started)
            {
                node.Dispose();
            }
        }
    }

    public static async Task<QuartzLatencyResult> LatencyAsync(string store, string? postgres, int schedules, TimeSpan window)
    {
        using var node = StartNode(store, postgres, "n1", schedules, "minute");
        await node.ReadyAsync();
        await node.SendAsync(FormattableString.Invariant($"start {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}"));
        await Task.Delay(window);
        var (delays, peak) = await node.StopAsync();
        var sorted = delays.Order().ToList();
        return new QuartzLatencyResult(store, schedules, sorted.Count, Stats.Percentile(sorted, 0.50), Stats.Percentile(sorted, 0.99),
            sorted.Count == 0 ? double.NaN : sorted[^1], peak);
    }

    private static NodeProcess StartNode(string store, string? postgres, string id, int seed, string kind) =>
        NodeProcess.Start("quartz", "quartz-node", store, postgres ?? "-", id, seed.ToString(CultureInfo.InvariantCulture), kind);

    private static async Task<long?> CommittedTransactionsAsync(string? postgres)
    {
        if (postgres is null)
        {
            return null;
        }

        // Backends report their counts when they exit or go idle; the nodes have exited (or not yet begun) when this runs.
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
