using System.Diagnostics;
using Scheduler.Development;

namespace Scheduler.FunctionsHost.Tests.Fixtures;

/// <summary>
/// The kit in ../shared/functions-host that builds the real Azure Functions host (the process `func start` and Azure
/// run) from source. Built once per test run into the git-ignored .fhkit/host; its build log is shown only on failure.
/// Outside CI a missing kit skips the tier with one line; under CI=true it fails.
/// </summary>
public static class FunctionsHostKit
{
    private static readonly Lazy<Task<string>> Built = new(BuildHostAsync);

    public static string RepositoryRoot { get; } = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("could not find the repository root (package.json next to Scheduler.sln) above " + AppContext.BaseDirectory);

    public static string KitDirectory => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "functions-host"));

    public static string HostDirectory => Path.Combine(RepositoryRoot, ".fhkit", "host");

    /// <summary>Why the tier cannot run here, or null when it can. Under CI=true a missing kit is an error, never a skip.</summary>
    public static string? Unavailable()
    {
        if (File.Exists(Path.Combine(KitDirectory, "build.sh")))
        {
            return null;
        }

        var reason = $"the Functions host kit is not at {KitDirectory} (../shared/functions-host beside the repository); the real-host tier is skipped";
        return string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? throw new InvalidOperationException(reason.Replace("is skipped", "cannot be skipped under CI=true", StringComparison.Ordinal))
            : reason;
    }

    /// <summary>Builds the host (a no-op when the kit's build is current) and returns its folder.</summary>
    public static Task<string> BuildAsync() => Built.Value;

    /// <summary>The Function App's build output, in the configuration these tests were built with.</summary>
    public static string AppDirectory
    {
        get
        {
            var configuration = typeof(FunctionsHostKit).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
                .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value;
            return Path.Combine(RepositoryRoot, "src", "Scheduler.App", "bin", configuration!, "net10.0");
        }
    }

    /// <summary>
    /// The upstream build props turn on SourceLink whenever CI is set, and its target asks git for the work folder's
    /// remote (there is none: the kit unpacks a tarball), so under CI=true every kit build failed. Off for the kit.
    /// </summary>
    public static void PrepareKitEnvironment(ProcessStartInfo start) => start.Environment["UseSourceLink"] = "false";

    private static async Task<string> BuildHostAsync()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(KitDirectory, "build.sh"));
        start.ArgumentList.Add(HostDirectory);
        PrepareKitEnvironment(start);
        using var build = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"the Functions host kit failed to build (exit {build.ExitCode}; full log {HostDirectory}.build.log):\n{await errors}\n{await output}");
        }

        return HostDirectory;
    }
}
