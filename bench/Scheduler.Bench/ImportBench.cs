using Scheduler.Development;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.App.Jobs;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Bench;

/// <summary>What the file-import job costs: a CSV of N rows imported by one tick in a child process that is only a host.</summary>
public sealed record ImportResult(int Rows, long FileBytes, long BaselineWorkingSet, long PeakWorkingSet, double Seconds)
{
    public override string ToString() => FormattableString.Invariant(
        $"import of {Rows:N0} rows ({FileBytes / 1048576.0:F1} MiB): peak working set {PeakWorkingSet / 1048576.0:F0} MiB (before the run {BaselineWorkingSet / 1048576.0:F0} MiB), {Seconds:F0} s, {Rows / Seconds:F0} rows/s");
}

public static class ImportBench
{
    public const string Begin = "<!-- bench/run.sh --only import writes from here -->";
    public const string End = "<!-- bench/run.sh --only import writes up to here -->";

    public static async Task<ImportResult> RunAsync(string connectionString, int rows, TextWriter log)
    {
        var prefix = "i" + Guid.NewGuid().ToString("N")[..8];
        var container = new BlobContainerClient(connectionString, prefix + "in");
        await container.CreateIfNotExistsAsync();
        var file = Path.Combine(Path.GetTempPath(), $"{prefix}.csv");
        try
        {
            await WriteCsvAsync(file, rows);
            await using (var stream = File.OpenRead(file))
            {
                await container.GetBlobClient("incoming/customers.csv").UploadAsync(stream);
            }

            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { typeof(ImportBench).Assembly.Location, "import", connectionString, prefix })
            {
                start.ArgumentList.Add(arg);
            }

            using var child = Process.Start(start)!;
            var output = await child.StandardOutput.ReadToEndAsync();
            await child.WaitForExitAsync();
            var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ');
            if (child.ExitCode != 0 || last.Length != 4)
            {
                throw new InvalidOperationException($"the import child failed ({child.ExitCode}): {output}");
            }

            var result = new ImportResult(
                int.Parse(last[0], CultureInfo.InvariantCulture), new FileInfo(file).Length,
                long.Parse(last[1], CultureInfo.InvariantCulture), long.Parse(last[2], CultureInfo.InvariantCulture), double.Parse(last[3], CultureInfo.InvariantCulture));
            log.WriteLine(result);
            return result;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Rows like a customer export: some fields quoted, with commas, escaped quotes and line breaks inside.</summary>
    private static async Task WriteCsvAsync(string path, int rows)
    {
        await using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        await writer.WriteLineAsync("id,name,city,note");
        for (var i = 0; i < rows; i++)
        {
            var note = (i % 10) switch
            {
                0 => "\"first line\nsecond line\"",
                1 => "\"says \"\"hi\"\", twice\"",
                _ => "plain",
            };
            await writer.WriteLineAsync(FormattableString.Invariant($"{i:D7},name {i},city {i % 97},{note}"));
        }
    }

    /// <summary>The child: a host with the file-import job, one schedule over the uploaded file, one tick.</summary>
    public static async Task<int> RunChildAsync(string connectionString, string prefix)
    {
        var options = new SchedulerOptions { InstanceId = "import", Tables = new TableNames { Prefix = prefix } };
        options.Inputs.AllowedContainers.Add(prefix + "in");
        await using var provider = await SchedulerServices.StartAsync(connectionString, options, jobs => jobs.AddJob<FileImportJob>("file-import"), quiet: true);
        var key = new ScheduleKey("default", "import");
        var table = "imported" + prefix;
        await provider.GetRequiredService<ScheduleAdmin>().AddOrUpdateAsync(key, new ScheduleSpec
        {
            Job = "file-import", RunAt = DateTimeOffset.UtcNow, Input = $"{prefix}in/incoming/", Args = new { table }, TimeoutSeconds = 3600,
        });
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        var baseline = self.WorkingSet64;
        var clock = Stopwatch.StartNew();
        await provider.GetRequiredService<Dispatcher>().TickAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        self.Refresh();
        var run = (await provider.GetRequiredService<StateStore>().ReadRunsAsync(key)).Single();
        if (run.Status != RunStatus.Succeeded)
        {
            Console.WriteLine($"import failed: {run.ErrorType}: {run.ErrorMessage}");
            return 1;
        }

        var marker = await provider.GetRequiredService<TableServiceClient>().GetTableClient(table + "Imports")
            .QueryAsync<TableEntity>(e => e.PartitionKey == FileImportJob.MarkerPartition).SingleAsync();
        Console.WriteLine(FormattableString.Invariant($"{marker.GetInt64("Rows")} {baseline} {self.PeakWorkingSet64} {seconds:F1}"));
        return 0;
    }

    /// <summary>The import section of docs/benchmarks.md, between its own markers (the other parts are left as they are).</summary>
    public static string Merge(string page, ImportResult result, string command)
    {
        var block = $"{Begin}\n\n### File import (streamed)\n\nGenerated by `{command}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, Azurite in memory. " +
            $"One tick of a host process with the `file-import` job over one CSV blob (a tenth of its rows with a quoted line break, a tenth with escaped quotes and a comma): {result}. " +
            "The target is a peak at most 200 MiB for 1,000,000 rows; the import before streaming read the whole blob into a string and took a host from 152 to 665 MB on the same file.\n\n" + End;
        return Sections.Replace(page, Begin, End, block);
    }
}
