using System.Diagnostics;
using System.Globalization;

namespace Scheduler.Bench;

/// <summary>
/// The dispatcher's peak working set at N schedules, measured in a child process that is only a dispatcher: it
/// primes its state cache, scans the N definitions for edits and ticks for 20 s over the ingested tables (running
/// whatever is due there: at 100,000 the rest of the throughput backlog).
/// </summary>
public static class MemoryProbe
{
    /// <param name="prefix">Tables already holding the N schedules (a throughput run's), or null to seed N schedules due every minute.</param>
    public static async Task<(long PeakWorkingSet, int Runs)> MeasureAsync(string connectionString, int schedules, TextWriter log, string? prefix)
    {
        if (prefix is null)
        {
            prefix = "m" + Guid.NewGuid().ToString("N")[..8];
            await using var seeder = new Instance(connectionString, prefix, "seeder");
            await seeder.InitializeAsync();
            await Seeding.WriteAsync(seeder.Tables.Schedules, schedules, Seeding.EveryMinute);
            await seeder.Reconciler.ReconcileAsync(default);
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(MemoryProbe).Assembly.Location);
        start.ArgumentList.Add("memory");
        start.ArgumentList.Add(connectionString);
        start.ArgumentList.Add(prefix);
        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        log.Write(output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(lines[^1], CultureInfo.InvariantCulture), int.Parse(lines[^2].Split(' ')[2], CultureInfo.InvariantCulture));
    }

    public static async Task<int> RunChildAsync(string connectionString, string prefix)
    {
        await using var instance = new Instance(connectionString, prefix, "memory", countKinds: false);
        // Where the peak is reached: after start-up, the first edit scan (which primes what is applied), the ticks, a second scan.
        static void Phase(string name)
        {
            using var self = Process.GetCurrentProcess();
            Console.WriteLine($"memory child, {name}: peak working set {self.PeakWorkingSet64 / 1048576} MiB, now {self.WorkingSet64 / 1048576} MiB, managed allocated {GC.GetTotalMemory(false) / 1048576} MiB");
        }

        Phase("built");
        await instance.Reconciler.ReconcileAsync(default);
        Phase("reconciled");
        var clock = Stopwatch.StartNew();
        var ran = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            ran += (await instance.Dispatcher.TickAsync(reconcile: false)).Ran;
            await Task.Delay(200);
        }

        Phase("ticked");
        await instance.Reconciler.ReconcileAsync(default);
        Phase("scanned");
        var generations = GC.GetGCMemoryInfo().GenerationInfo.ToArray().Select(g => (g.SizeAfterBytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture));
        Console.WriteLine($"memory child: generations 0, 1, 2, large and pinned objects {string.Join(", ", generations)} MiB after the last GC");
        using var self = Process.GetCurrentProcess();
        var gc = GC.GetGCMemoryInfo();
        Console.WriteLine(FormattableString.Invariant(
            $"memory child: managed heap {gc.HeapSizeBytes / 1048576.0:F0} MiB after the last GC, {GC.GetTotalMemory(false) / 1048576.0:F0} MiB allocated now, GC committed {gc.TotalCommittedBytes / 1048576.0:F0} MiB"));
        Console.WriteLine($"memory child: {ran} runs in 20 s");
        Console.WriteLine(self.PeakWorkingSet64);
        return 0;
    }
}
