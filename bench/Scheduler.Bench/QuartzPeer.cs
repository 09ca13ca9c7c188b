using System.Diagnostics;
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
        var started = new List<Node>();
        var database = store == "postgres" ? postgres : null; // whose transactions to count
        try
        {
            var first = Node.Start(store, postgres, "n1", schedules, "once");
            started.Add(first);
            var ingestMs = await first.ReadyAsync();
            for (var i = 2; i <= nodes; i++)
            {
                started.Add(Node.Start(store, postgres, $"n{i}", 0, "once"));
            }

            foreach (var node in started.Skip(1))
            {
                await node.ReadyAsync();
            }

            var transactionsBefore = await CommittedTransactionsAsync(database);
            var startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var node in started)
            {
                await node.SendAsync(FormattableString.Invariant($"start {startMs}"));
            }

            var deadline = Stopwatch.StartNew();
            while (started.Sum(n => n.Ran) < schedules && deadline.Elapsed < cap)
            {
                await Task.Delay(50);
            }

            var capped = started.Sum(n => n.Ran) < schedules;
            var peak = 0L;
            foreach (var node in started)
            {
                peak = Math.Max(peak, (await node.StopAsync()).Peak);
            }

            // After stopping: the final counts include jobs that finished while the nodes shut down.
            var lastMs = started.Max(n => n.LastDoneMs);
            var ran = started.Sum(n => n.Ran);
            if (ran > schedules || (!capped && ran != schedules))
            {
                throw new InvalidOperationException($"Quartz {store} x {nodes}: {ran} of {schedules} jobs ran (duplicates or losses)");
            }

            var transactions = await CommittedTransactionsAsync(database) - transactionsBefore;
            return new QuartzThroughputResult(store, schedules, nodes, ingestMs / 1000.0, ran, (lastMs - startMs) / 1000.0, ran / ((lastMs - startMs) / 1000.0),
                transactions is { } t ? (double)t / ran : null, peak);
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
        using var node = Node.Start(store, postgres, "n1", schedules, "minute");
        await node.ReadyAsync();
        await node.SendAsync(FormattableString.Invariant($"start {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}"));
        await Task.Delay(window);
        var (delays, peak) = await node.StopAsync();
        var sorted = delays.Order().ToList();
        return new QuartzLatencyResult(store, schedules, sorted.Count, Stats.Percentile(sorted, 0.50), Stats.Percentile(sorted, 0.99),
            sorted.Count == 0 ? double.NaN : sorted[^1], peak);
    }

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

    /// <summary>A <see cref="QuartzNode"/> child process and what it has reported.</summary>
    private sealed class Node : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<long> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<(List<double> Delays, long Peak)> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<double> _delays = [];
        private readonly Task _reading;
        private int _ran;
        private long _lastDoneMs;

        private Node(Process process)
        {
            _process = process;
            _reading = Task.Run(ReadAsync);
        }

        public int Ran => Volatile.Read(ref _ran);
        public long LastDoneMs => Volatile.Read(ref _lastDoneMs);

        public static Node Start(string store, string? postgres, string id, int seed, string kind)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { typeof(QuartzNode).Assembly.Location, "quartz-node", store, postgres ?? "-", id, seed.ToString(CultureInfo.InvariantCulture), kind })
            {
                start.ArgumentList.Add(arg);
            }

            return new Node(Process.Start(start)!);
        }

        public Task<long> ReadyAsync() => _ready.Task.WaitAsync(TimeSpan.FromMinutes(20));

        public async Task SendAsync(string line)
        {
            await _process.StandardInput.WriteLineAsync(line);
            await _process.StandardInput.FlushAsync();
        }

        public async Task<(List<double> Delays, long Peak)> StopAsync()
        {
            await SendAsync("stop");
            var result = await _stopped.Task.WaitAsync(TimeSpan.FromMinutes(5));
            await _process.WaitForExitAsync();
            return result;
        }

        private async Task ReadAsync()
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ', 3);
                switch (parts[0])
                {
                    case "ready":
                        _ready.TrySetResult(long.Parse(parts[1], CultureInfo.InvariantCulture));
                        break;
                    case "ran":
                        Volatile.Write(ref _ran, int.Parse(parts[1], CultureInfo.InvariantCulture));
                        Volatile.Write(ref _lastDoneMs, long.Parse(parts[2], CultureInfo.InvariantCulture));
                        break;
                    case "delays" when parts.Length > 1:
                        _delays.AddRange(parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d => double.Parse(d, CultureInfo.InvariantCulture)));
                        break;
                    case "peak":
                        _stopped.TrySetResult((_delays, long.Parse(parts[1], CultureInfo.InvariantCulture)));
                        break;
                    default:
                        Console.WriteLine("  quartz: " + line);
                        break;
                }
            }

            var exited = new InvalidOperationException($"a Quartz node exited early (code {(_process.HasExited ? _process.ExitCode : -1)})");
            _ready.TrySetException(exited);
            _stopped.TrySetException(exited);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
