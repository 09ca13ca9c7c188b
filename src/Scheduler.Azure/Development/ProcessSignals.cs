using System.Diagnostics;
using System.Globalization;

namespace Scheduler.Azure.Development;

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
}
