using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Scheduler.Development;

namespace Scheduler.Reliability.Harness;

/// <summary>
/// One standalone host as a child process: its output goes to a log file, and the lines the harness reports on
/// (tick durations, storage outages, unhandled errors) are counted as they arrive.
/// </summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly Queue<string> _notes = new();
    private string? _lastTick;
    private readonly Lock _gate = new();

    private HostProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }
    public int Ticks { get; private set; }
    public long MaxTickMilliseconds { get; private set; }
    public int OutageLines { get; private set; }
    public int RecoveredLines { get; private set; }

    /// <summary>Queue deliveries that found their occurrence already started (or settled) and ran nothing.</summary>
    public int IgnoredDeliveries { get; private set; }
    public int FailedTicks { get; private set; }
    public int QuarantineLines { get; private set; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>When the host logged that it started ticking (its cold start ends), or null.</summary>
    public DateTimeOffset? ReadyAt { get; private set; }

    public string Tail
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>
    /// What a failed scenario's report shows of this host: its last lease changes, warnings and errors (shortened), and
    /// its last tick line; enough to tell a stalled host from a busy one without its log.
    /// </summary>
    public string Notes
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _notes.Append(_lastTick ?? "(no tick logged)").Select(l => "    " + l));
            }
        }
    }

    public static HostProcess Start(string name, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(HostBinary.Path);
        start.ArgumentList.Add(HostBinary.HostCommand);
        foreach (var (name_, value) in environment)
        {
            start.Environment[name_] = value;
        }

        var log = new StreamWriter(File.Open(logPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        var host = new HostProcess(name, Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"), log);
        host._process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        return host;
    }

    /// <summary>SIGKILL: no shutdown code runs, runs in flight keep their leases until those expire.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>
    /// SIGTERM, the way Azure, containers and systemd stop a process (a host started from a script's background job
    /// inherits SIGINT ignored, so Ctrl+C is no test of the host); true if it stopped within <paramref name="grace"/>.
    /// </summary>
    public Task<bool> StopAsync(TimeSpan grace) => ProcessSignals.StopAsync(_process, grace);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        lock (_gate)
        {
            _log.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _log.WriteLine(line);
            _tail.Enqueue(line);
            if (_tail.Count > 60)
            {
                _tail.Dequeue();
            }

            if (ReadyAt is null && line.Contains("Standalone scheduler started", StringComparison.Ordinal))
            {
                ReadyAt = DateTimeOffset.UtcNow;
            }

            if (NoteLine().IsMatch(line))
            {
                _notes.Enqueue(line.Length > 300 ? line[..300] + " ..." : line);
                if (_notes.Count > 25)
                {
                    _notes.Dequeue();
                }
            }

            if (TickLine().Match(line) is { Success: true } tick)
            {
                _lastTick = line;
                Ticks++;
                MaxTickMilliseconds = Math.Max(MaxTickMilliseconds, long.Parse(tick.Groups[1].Value, CultureInfo.InvariantCulture));
            }
            else if (line.Contains("backing off", StringComparison.Ordinal))
            {
                OutageLines++;
            }
            else if (line.Contains("Storage answers again", StringComparison.Ordinal))
            {
                RecoveredLines++;
            }
            else if (line.Contains("is not waiting to start", StringComparison.Ordinal))
            {
                IgnoredDeliveries++;
            }
            else if (line.Contains("Quarantined ", StringComparison.Ordinal) || line.Contains("re-created from its definition", StringComparison.Ordinal))
            {
                QuarantineLines++;
            }

            if (line.Contains("A tick failed", StringComparison.Ordinal))
            {
                FailedTicks++;
            }
        }
    }

    [GeneratedRegex(@"Tick: .* (\d+) ms$")]
    private static partial Regex TickLine();

    [GeneratedRegex(@" (warn|fail|crit): | now reads shards | released shards |Standalone scheduler started")]
    private static partial Regex NoteLine();
}
