using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Scheduler.Bench;

/// <summary>What nodes drained: runs, the start, the first and the last run (Unix ms), and the largest peak working set.</summary>
internal sealed record NodeDrain(int Ran, long StartMs, long FirstDoneMs, long LastDoneMs, long PeakWorkingSet)
{
    public double Seconds => (LastDoneMs - StartMs) / 1000.0;

    /// <summary>Runs a second once running: from the first run to the last, leaving out what start-up took.</summary>
    public double SteadyRate => LastDoneMs > FirstDoneMs ? Ran * 1000.0 / (LastDoneMs - FirstDoneMs) : 0;
}

/// <summary>
/// A benchmark node in its own process (<see cref="QuartzNode"/> or <see cref="DispatchNode"/>) and what it has
/// reported over their line protocol: it prints "ready MS", waits for "start UNIX_MS", prints "ran COUNT LAST_MS" as
/// runs finish, and on "stop" prints any "stat NAME VALUE" lines, its start delays ("delays ...") and its peak working
/// set ("peak BYTES"), the last line.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _label;
    private readonly TaskCompletionSource<long> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<(List<double> Delays, long Peak)> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<double> _delays = [];
    private readonly ConcurrentDictionary<string, long> _stats = new(StringComparer.Ordinal);
    private readonly Task _reading;
    private int _ran;
    private long _firstDoneMs;
    private long _lastDoneMs;

    private NodeProcess(Process process, string label)
    {
        _process = process;
        _label = label;
        _reading = Task.Run(ReadAsync);
    }

    public int Ran => Volatile.Read(ref _ran);

    public long LastDoneMs => Volatile.Read(ref _lastDoneMs);

    /// <summary>When the node first reported a run (Unix ms), or 0.</summary>
    public long FirstDoneMs => Volatile.Read(ref _firstDoneMs);

    /// <summary>The "stat" lines a node printed when it stopped.</summary>
    public IReadOnlyDictionary<string, long> Stats => _stats;

    /// <param name="label">Prefixes the node's other output lines on the console.</param>
    /// <param name="arguments">The bench's mode and its arguments.</param>
    public static NodeProcess Start(string label, params string[] arguments) => Start(label, null, arguments);

    /// <param name="budget">The CPU share the process is held to, or null for none.</param>
    public static NodeProcess Start(string label, CpuBudget? budget, params string[] arguments)
    {
        string[] dotnetArguments = [typeof(NodeProcess).Assembly.Location, .. arguments];
        var (fileName, command) = budget?.Wrap(dotnetArguments) ?? ("dotnet", dotnetArguments);
        var start = new ProcessStartInfo(fileName) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        return new NodeProcess(Process.Start(start)!, label);
    }

    public Task<long> ReadyAsync() => _ready.Task.WaitAsync(TimeSpan.FromMinutes(20));

    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>
    /// Starts ready nodes together and lets them run until they have run <paramref name="expected"/> in all or
    /// <paramref name="cap"/> has passed, then stops them (their final counts include runs that ended meanwhile). More
    /// runs than expected, or fewer without the cap, is a duplicate or a loss: it throws, naming <paramref name="who"/>.
    /// </summary>
    public static async Task<NodeDrain> DrainAsync(IReadOnlyList<NodeProcess> nodes, int expected, TimeSpan cap, string who)
    {
        var startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var node in nodes)
        {
            await node.SendAsync(FormattableString.Invariant($"start {startMs}"));
        }

        var clock = Stopwatch.StartNew();
        while (nodes.Sum(n => n.Ran) < expected && clock.Elapsed < cap)
        {
            await Task.Delay(50);
        }

        var capped = nodes.Sum(n => n.Ran) < expected;
        var peak = 0L;
        foreach (var node in nodes)
        {
            peak = Math.Max(peak, (await node.StopAsync()).Peak);
        }

        var ran = nodes.Sum(n => n.Ran);
        if (ran > expected || (!capped && ran != expected))
        {
            throw new InvalidOperationException($"{who}: {ran} of {expected} ran (duplicates or losses)");
        }

        var first = nodes.Where(n => n.FirstDoneMs > 0).Select(n => n.FirstDoneMs).DefaultIfEmpty(0).Min();
        return new NodeDrain(ran, startMs, first, nodes.Max(n => n.LastDoneMs), peak);
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
                    var count = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    var at = long.Parse(parts[2], CultureInfo.InvariantCulture);
                    Volatile.Write(ref _ran, count);
                    Volatile.Write(ref _lastDoneMs, at);
                    if (count > 0 && FirstDoneMs == 0)
                    {
                        Volatile.Write(ref _firstDoneMs, at);
                    }

                    break;
                case "stat" when parts.Length == 3:
                    _stats[parts[1]] = long.Parse(parts[2], CultureInfo.InvariantCulture);
                    break;
                case "delays" when parts.Length > 1:
                    _delays.AddRange(parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d => double.Parse(d, CultureInfo.InvariantCulture)));
                    break;
                case "peak":
                    _stopped.TrySetResult((_delays, long.Parse(parts[1], CultureInfo.InvariantCulture)));
                    break;
                default:
                    Console.WriteLine($"  {_label}: {line}");
                    break;
            }
        }

        var exited = new InvalidOperationException($"a {_label} node exited early (code {(_process.HasExited ? _process.ExitCode : -1)})");
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
