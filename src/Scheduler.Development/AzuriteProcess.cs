using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Scheduler.Development;

/// <summary>
/// Azurite started from the repository's node_modules: by the tests (free ports, in memory) and by the standalone
/// host (default ports, data in a git-ignored folder). Stopped when disposed.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    public const int DefaultBlobPort = 10000;
    public const int DefaultQueuePort = 10001;
    public const int DefaultTablePort = 10002;

    // Azurite's well-known development account; published in Microsoft's documentation, not a secret.
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;

    private AzuriteProcess(Process process, int blob, int queue, int table)
    {
        _process = process;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};" +
            $"BlobEndpoint=http://127.0.0.1:{blob}/{Account};QueueEndpoint=http://127.0.0.1:{queue}/{Account};TableEndpoint=http://127.0.0.1:{table}/{Account};";
    }

    public string ConnectionString { get; }

    /// <param name="repositoryRoot">The folder holding package.json and node_modules.</param>
    /// <param name="location">Where Azurite keeps its data; null keeps it in memory.</param>
    public static async Task<AzuriteProcess> StartAsync(string repositoryRoot, string? location, int blobPort, int queuePort, int tablePort)
    {
        var script = Path.Combine(repositoryRoot, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run `npm ci` in {repositoryRoot}.");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = location ?? Path.GetTempPath(), // Azurite writes its debug log relative to it
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        if (location is null)
        {
            start.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(location);
            start.ArgumentList.Add("--location");
            start.ArgumentList.Add(location);
        }

        foreach (var arg in new[] { "--silent", "--skipApiVersionCheck", "--disableProductStyleUrl",
                     "--blobHost", "127.0.0.1", "--blobPort", $"{blobPort}", "--queueHost", "127.0.0.1", "--queuePort", $"{queuePort}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{tablePort}" })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("Node.js is not installed or not on PATH; install Node.js 20 or later to run Azurite.", ex);
        }

        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteProcess(process, blobPort, queuePort, tablePort);
        try
        {
            foreach (var port in new[] { tablePort, blobPort, queuePort })
            {
                await WaitForPortAsync(process, port, errors);
            }
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }

        return azurite;
    }

    public static async Task<AzuriteProcess> StartInMemoryOnFreePortsAsync(string repositoryRoot)
    {
        var ports = FreePorts(3);
        return await StartAsync(repositoryRoot, null, ports[0], ports[1], ports[2]);
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort() => FreePorts(1)[0];

    /// <summary><paramref name="count"/> distinct free loopback ports: all held open until all are chosen, so none repeats.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>The folder above <paramref name="start"/> that holds package.json and Scheduler.sln.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "package.json")) && File.Exists(Path.Combine(dir.FullName, "Scheduler.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>
    /// Asks Azurite to stop (SIGTERM) so a persistent location is flushed, and kills it if it has not exited within
    /// <paramref name="grace"/>. A kill alone can lose the last seconds of writes of a <c>--location</c> store.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!await ProcessSignals.StopAsync(_process, grace))
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }

    private static async Task WaitForPortAsync(Process process, int port, System.Text.StringBuilder errors)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} before it was ready (it was still to listen on {port}): {errors.ToString().Trim()}");
            }

            if (IsListening(port))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Azurite did not listen on port {port} within 30 s");
    }
}
