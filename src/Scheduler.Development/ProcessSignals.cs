using System.Diagnostics;
using System.Globalization;

namespace Scheduler.Development;

/// <summary>Sends a POSIX signal (TERM, INT) to a child process: .NET can only kill. False where there are no signals (Windows).</summary>
public static class ProcessSignals
{
    public static async Task<bool> SendAsync(Process process, string signal)
    {
        if (OperatingSystem.IsWindows() || process.HasExited)
        {
            return false;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
        if (kill is null)
        {
            return false;
        }

        await kill.WaitForExitAsync();
        return kill.ExitCode == 0;
    }

    /// <summary>SIGTERM, then waits; true if the process exited within <paramref name="grace"/>.</summary>
    public static async Task<bool> StopAsync(Process process, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return true;
        }

        await SendAsync(process, "TERM");
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
