using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Scheduler.Infra.Tests;

/// <summary>Runs the Bicep compiler restored from NuGet, and reads the compiled ARM template.</summary>
internal static class Bicep
{
    public static string RepositoryRoot { get; } = FindRoot();
    public static string Infra => Path.Combine(RepositoryRoot, "infra");

    public static string Metadata(string key) =>
        typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is missing");

    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var path = Metadata("BicepPath");
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute); // NuGet does not keep the executable bit
        }

        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Infra };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static readonly Lazy<JsonElement> Compiled = new(() =>
    {
        var output = Path.Combine(Path.GetTempPath(), $"scheduler-main-{Guid.NewGuid():N}.json");
        var (code, text) = Run("build", Path.Combine(Infra, "main.bicep"), "--outfile", output);
        Assert.True(code == 0, text);
        using var document = JsonDocument.Parse(File.ReadAllText(output));
        File.Delete(output);
        return document.RootElement.Clone();
    });

    public static JsonElement MainTemplate => Compiled.Value;

    /// <summary>Every resource of the template and its nested module deployments.</summary>
    public static IEnumerable<JsonElement> Resources(JsonElement template)
    {
        var resources = template.GetProperty("resources");
        var list = resources.ValueKind == JsonValueKind.Object ? resources.EnumerateObject().Select(p => p.Value) : resources.EnumerateArray();
        foreach (var resource in list)
        {
            yield return resource;
            if (resource.GetProperty("type").GetString() == "Microsoft.Resources/deployments")
            {
                foreach (var nested in Resources(resource.GetProperty("properties").GetProperty("template")))
                {
                    yield return nested;
                }
            }
        }
    }

    public static JsonElement Single(string type) => Assert.Single(Resources(MainTemplate), r => r.GetProperty("type").GetString() == type);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Scheduler.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Scheduler.sln not found above " + AppContext.BaseDirectory);
    }
}
