using System.Collections.Concurrent;
using System.Diagnostics;
using Scheduler.Development;

namespace Scheduler.FunctionsHost.Tests.Fixtures;

/// <summary>
/// One real Functions host running the app, as a child process started by the kit's run.sh (which execs the host, so
/// this process is the host). Its log goes to a file and is kept in memory for the checks.
/// </summary>
public sealed class FunctionsHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();

    private FunctionsHostProcess(string name, Process process, StreamWriter log, string logPath, int port)
    {
        Name = name;
        Port = port;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    /// <summary>The loopback port the host serves HTTP on (the dashboard's functions).</summary>
    public int Port { get; }
    public string LogPath { get; }
    public IReadOnlyCollection<string> Lines => _lines;
    public bool HasExited => _process.HasExited;

    public static FunctionsHostProcess Start(string name, string hostDirectory, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(FunctionsHostKit.KitDirectory, "run.sh"));
        start.ArgumentList.Add(FunctionsHostKit.AppDirectory);
        var port = AzuriteProcess.FreePort();
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.Environment["FHKIT_HOST_DIR"] = hostDirectory;
        FunctionsHostKit.PrepareKitEnvironment(start);
        start.Environment["FHKIT_HOME"] = Path.Combine(logDirectory, "home");
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, name + ".log");
        var log = new StreamWriter(File.Open(logPath, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        var host = new FunctionsHostProcess(name, Process.Start(start) ?? throw new InvalidOperationException("could not start bash"), log, logPath, port);
        host._process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits until a log line matches, the host exits, or the time is up.</summary>
    public async Task<bool> WaitForLineAsync(Func<string, bool> match, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (_lines.Any(match))
            {
                return true;
            }

            if (_process.HasExited)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>SIGTERM, as Azure and `func start`'s Ctrl+C stop a host; true if it exited within <paramref name="grace"/>.</summary>
    public Task<bool> StopAsync(TimeSpan grace) => ProcessSignals.StopAsync(_process, grace);

    /// <summary>The last lines of the log, for a failure message.</summary>
    public string Tail(int count = 40) => $"{Name} (log {LogPath}):\n" + string.Join('\n', _lines.TakeLast(count));

    public async ValueTask DisposeAsync()
    {
        if (!await StopAsync(TimeSpan.FromSeconds(20)))
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

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

        _lines.Enqueue(line);
        lock (_gate)
        {
            _log.WriteLine(line);
        }
    }
}
