using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CliWrap;
using CliWrap.Buffered;
using Scheduler.Development;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Template.Tests;

/// <summary>
/// What an adopting team does: pack the packages into a folder, install the template, create an app, add a job of
/// their own, build it against the packages (not this repository's projects) and run it standalone on Azurite.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class TemplateTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("scheduler-template-").FullName;

    [Fact]
    public async Task AnAppFromTheTemplate_BuildsOnThePackages_AndRunsTheSampleJobAndOneItAdds()
    {
        // Arrange: the packages (a version of their own, so no cached package of the same version is used instead)
        var root = AzuriteFixture.RepositoryRoot();
        var feed = Path.Combine(_work, "feed");
        var hive = Path.Combine(_work, "template-hive");
        var appDirectory = Path.Combine(_work, "Acme.Jobs");
        var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        await DotnetAsync(root, "pack", "Scheduler.sln", "--no-build", "--configuration", Configuration, "--output", feed, $"-p:Version={version}");
        Assert.Equal(
            ["Scheduler.Azure", "Scheduler.Core", "Scheduler.Functions"],
            Directory.GetFiles(feed, "*.nupkg").Select(p => Path.GetFileName(p).Replace($".{version}.nupkg", "", StringComparison.Ordinal)).Order());

        await DotnetAsync(root, "new", "install", Path.Combine(root, "templates", "scheduler-app"), "--debug:custom-hive", hive);
        await DotnetAsync(_work, "new", "scheduler-app", "--name", "Acme.Jobs", "--SchedulerVersion", version, "--debug:custom-hive", hive);
        Assert.True(File.Exists(Path.Combine(appDirectory, "host.json")));
        Assert.True(File.Exists(Path.Combine(appDirectory, "local.settings.json")));
        Assert.Contains("## Write a job", await File.ReadAllTextAsync(Path.Combine(appDirectory, "README.md")));
        Assert.Contains("namespace Acme.Jobs.Jobs;", await File.ReadAllTextAsync(Path.Combine(appDirectory, "Jobs", "HelloJob.cs")));

        // The team's own job, registered beside the sample
        await File.WriteAllTextAsync(Path.Combine(appDirectory, "Jobs", "StampJob.cs"), StampJobSource);
        var program = Path.Combine(appDirectory, "Program.cs");
        var source = await File.ReadAllTextAsync(program);
        Assert.Contains(".AddJob<HelloJob>(", source);
        await File.WriteAllTextAsync(program, source.Replace(".AddJob<HelloJob>(", ".AddJob<StampJob>(\"stamp\")\n    .AddJob<HelloJob>(", StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(appDirectory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="scheduler-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await DotnetAsync(appDirectory, "build", "--configuration", "Release");
        var assets = await File.ReadAllTextAsync(Path.Combine(appDirectory, "obj", "project.assets.json"));
        Assert.Contains($"\"Scheduler.Functions/{version}\"", assets); // built on the package, not on this repository's projects
        var metadata = await File.ReadAllTextAsync(Path.Combine(appDirectory, "bin", "Release", "net10.0", "functions.metadata"));
        foreach (var function in new[] { "SchedulerTick", "RunOccurrence", "RecordPoisonOccurrence", "Dashboard" })
        {
            Assert.Contains($"\"name\": \"{function}\"", metadata); // the worker SDK indexed the package's functions
        }

        // Schedules written as a person would (plain table rows), and an input file for the sample job
        var prefix = "tpl" + Guid.NewGuid().ToString("N")[..8];
        var tables = new TableServiceClient(azurite.ConnectionString);
        var schedules = tables.GetTableClient(prefix + "Schedules");
        await schedules.CreateIfNotExistsAsync();
        await schedules.UpsertEntityAsync(new TableEntity("default", "stamp-every-second") { ["Job"] = "stamp", ["Interval"] = "1s", ["Args"] = $"{{\"table\":\"stamps{prefix}\"}}" });
        await schedules.UpsertEntityAsync(new TableEntity("default", "hello") { ["Job"] = "hello", ["Interval"] = "2s", ["Input"] = prefix + "in/incoming/", ["Args"] = "{\"greeting\":\"Bonjour\"}" });
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(prefix + "in");
        await container.CreateIfNotExistsAsync();
        await container.UploadBlobAsync("incoming/customers.csv", BinaryData.FromString("id,name\n1,Ada\n"));

        // Act: the app's own build output, standalone
        var output = new ConcurrentQueue<string>();
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = appDirectory };
        start.ArgumentList.Add("--default-signal=INT"); // a child of a background job would inherit SIGINT ignored
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(appDirectory, "bin", "Release", "net10.0", "Acme.Jobs.dll"));
        start.ArgumentList.Add("--standalone");
        start.Environment["SchedulerStorage"] = azurite.ConnectionString;
        start.Environment["Scheduler__Tables__Prefix"] = prefix;
        start.Environment["Scheduler__TickSchedule"] = "*/1 * * * * *";
        start.Environment["Scheduler__Inputs__AllowedContainers"] = prefix + "in";
        using var host = Process.Start(start)!;
        host.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        host.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        var stamps = tables.GetTableClient("stamps" + prefix);
        int stamped;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (((stamped = await CountAsync(stamps)) < 3 || !output.Any(l => l.Contains("Bonjour from hello, due", StringComparison.Ordinal)))
                && DateTime.UtcNow < deadline && !host.HasExited)
            {
                await Task.Delay(500);
            }

            await ProcessSignals.SendAsync(host, "INT");
            Assert.True(host.WaitForExit(TimeSpan.FromSeconds(25)), "the app did not stop within 25 s of SIGINT:\n" + string.Join("\n", output));
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
            }
        }

        // Assert: both jobs ran from the schedules' rows, and the app stopped cleanly
        var log = string.Join("\n", output);
        Assert.True(stamped >= 3, $"the added job ran {stamped} times:\n{log}");
        Assert.Contains("Bonjour from hello, due", log);
        Assert.Contains("Input incoming/customers.csv (14 bytes) starts with: id,name", log);
        Assert.Equal(0, host.ExitCode);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // a build server may still hold a file; the folder is under the temporary directory
        }
    }

    private static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    private static async Task DotnetAsync(string directory, params string[] arguments)
    {
        var result = await Cli.Wrap("dotnet").WithArguments(arguments).WithWorkingDirectory(directory)
            .WithEnvironmentVariables(e => e.Set("DOTNET_CLI_TELEMETRY_OPTOUT", "1").Set("DOTNET_NOLOGO", "1").Set("MSBUILDDISABLENODEREUSE", "1").Set("UseSharedCompilation", "false"))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited {result.ExitCode}:\n{result.StandardOutput}\n{result.StandardError}");
    }

    private static async Task<int> CountAsync(TableClient table)
    {
        try
        {
            var count = 0;
            await foreach (var _ in table.QueryAsync<TableEntity>(select: ["RowKey"]))
            {
                count++;
            }

            return count;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return 0; // the job has not run yet
        }
    }

    private const string StampJobSource = """
        using Azure.Data.Tables;
        using Scheduler.Jobs;
        using Scheduler.Storage;

        namespace Acme.Jobs.Jobs;

        /// <summary>Writes one row per occurrence into the table its Args name.</summary>
        public sealed class StampJob(TableServiceClient tables, SchedulerTables schedulerTables) : IJob
        {
            public sealed record Settings(string Table);

            public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
            {
                var name = context.GetArgs<Settings>().Table;
                schedulerTables.ThrowIfReserved(name, "table");
                var table = tables.GetTableClient(name);
                await table.CreateIfNotExistsAsync(cancellationToken);
                await table.UpsertEntityAsync(new TableEntity("stamps", context.IdempotencyKey.Replace('/', '_')), TableUpdateMode.Replace, cancellationToken);
            }
        }
        """;
}
