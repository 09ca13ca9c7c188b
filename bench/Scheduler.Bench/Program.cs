using Scheduler.Azure.Development;
using Scheduler.Bench;

// bench/run.sh runs this in Release. "memory" is the child process whose working set is measured.
if (args.FirstOrDefault() == "memory")
{
    return await MemoryProbe.RunChildAsync(args[1], args[2]);
}

var options = BenchOptions.Parse(args);
var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from the repository");
await using var azurite = await AzuriteProcess.StartInMemoryOnFreePortsAsync(root);
var results = new BenchResults { Options = options };
var log = Console.Out;

foreach (var size in options.Sizes)
{
    var repeats = size >= 100_000 ? 1 : options.Repeats;
    for (var r = 0; r < repeats; r++)
    {
        results.Ceiling.Add(await CeilingBench.RunAsync(azurite.ConnectionString, TimeSpan.FromSeconds(5)));
        log.WriteLine(FormattableString.Invariant($"ceiling: {results.Ceiling[^1]:F0} conditional updates/s"));
        foreach (var dispatchers in new[] { 1, 3 })
        {
            var result = await ThroughputBench.RunAsync(azurite.ConnectionString, size, dispatchers);
            results.Throughput.Add(result);
            log.WriteLine(result);
        }

    }
}

results.Memory = await MemoryProbe.MeasureAsync(azurite.ConnectionString, options.MemorySchedules, log);
log.WriteLine(FormattableString.Invariant($"memory at {options.MemorySchedules}: peak working set {results.Memory / 1048576.0:F0} MiB"));
foreach (var precise in new[] { false, true })
{
    results.Latency.Add(await LatencyBench.RunAsync(azurite.ConnectionString, options.LatencySchedules, precise, options.LatencyWindow));
    log.WriteLine(results.Latency[^1]);
}

await File.WriteAllTextAsync(options.Output, BenchMarkdown.Render(results));
log.WriteLine($"wrote {options.Output}");
return 0;
