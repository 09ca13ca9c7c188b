namespace Scheduler.Reliability.Harness;

/// <summary>Where the host executable is: this assembly, run as "dotnet Scheduler.Reliability.dll host".</summary>
internal static class HostBinary
{
    public const string HostCommand = "host";

    public static string Path { get; } = typeof(HostBinary).Assembly.Location;
}
