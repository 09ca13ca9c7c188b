using System.Diagnostics;
using System.Globalization;

namespace Scheduler.Bench;

/// <summary>
/// One dispatcher instance in its own process, our counterpart of <see cref="QuartzNode"/> (same line protocol, see
/// <see cref="NodeProcess"/>): it ticks the tables of a prefix as fast as there is work, through the Azure profile when
/// a latency is given, run as a host runs it (<see cref="HostLoop"/>). On "stop" it reports its storage requests, claim conflicts and 503 answers.
/// </summary>
public static class DispatchNode
{
    public static async Task<int> RunAsync(string connectionString, string prefix, string instanceId, int latencyMs)
    {
        // Each process has its own profile, so the partition and account limits are each process's, not the account's:
        // at these rates (hundreds of entities/s) neither is near, and the latency is what the profile adds here.
        var profile = latencyMs > 0 ? new AzureProfilePolicy(TimeSpan.FromMilliseconds(latencyMs)) : null;
        await using var instance = new Instance(connectionString, prefix, instanceId, o => o.ReconcileInterval = TimeSpan.FromDays(1), profile, countKinds: false);
        Console.WriteLine("ready 0");
        _ = Console.ReadLine(); // "start ..."

        using var stopping = new CancellationTokenSource();
        var ran = 0;
        var lastDoneMs = 0L;
        var conflicts = 0;
        var requestsBefore = instance.Requests.Total;
        var ticking = HostLoop.RunAsync(instance, report => Interlocked.Add(ref conflicts, report.Conflicts), stopping.Token);
        var reporting = Task.Run(async () =>
        {
            var reported = -1;
            while (!stopping.IsCancellationRequested)
            {
                if ((int)NoopJob.Runs is var now && now != reported)
                {
                    ran = now;
                    lastDoneMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    Console.WriteLine(FormattableString.Invariant($"ran {ran} {lastDoneMs}"));
                    reported = now;
                }

                await Task.Delay(20);
            }
        });

        _ = Console.ReadLine(); // "stop"
        await stopping.CancelAsync();
        await Task.WhenAll(ticking, reporting);
        // Stopping waits for the runs' completions to be recorded: the drain ends when they are, not when the jobs ran
        // (under a backlog the claims of a tick take the lanes first and the completions queue behind them).
        ran = (int)NoopJob.Runs;
        lastDoneMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Console.WriteLine(FormattableString.Invariant($"ran {ran} {lastDoneMs}"));
        Console.WriteLine(FormattableString.Invariant($"stat requests {instance.Requests.Total - requestsBefore}"));
        Console.WriteLine(FormattableString.Invariant($"stat conflicts {conflicts}"));
        Console.WriteLine(FormattableString.Invariant($"stat throttled {profile?.Throttled ?? 0}"));
        Console.WriteLine(FormattableString.Invariant($"stat peak-in-flight {profile?.PeakInFlight ?? 0}"));
        Console.WriteLine(FormattableString.Invariant($"stat busy-ms {(long)(profile?.Busy.TotalMilliseconds ?? 0)}"));
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(FormattableString.Invariant($"peak {self.PeakWorkingSet64}"));
        return 0;
    }

    /// <summary>The arguments <see cref="NodeProcess.Start"/> passes for a node over <paramref name="prefix"/>.</summary>
    public static string[] Arguments(string connectionString, string prefix, string instanceId, TimeSpan latency) =>
        ["dispatch-node", connectionString, prefix, instanceId, ((int)latency.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)];
}
