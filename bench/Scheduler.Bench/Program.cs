using Scheduler.Development;
using Scheduler.Bench;

// bench/run.sh runs this in Release. "memory" is the child process whose working set is measured.
if (args.FirstOrDefault() == "memory")
{
    return await MemoryProbe.RunChildAsync(args[1], args[2]);
}

if (args.FirstOrDefault() == "import")
{
    return await ImportBench.RunChildAsync(args[1], args[2]);
}

if (args.FirstOrDefault() == "dispatch-node")
{
    return await DispatchNode.RunAsync(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
}

if (args.FirstOrDefault() == "quartz-node")
{
    return await QuartzNode.RunAsync(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), args[5]);
}

var options = BenchOptions.Parse(args);
var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from the repository");
await using var azurite = await AzuriteProcess.StartInMemoryOnFreePortsAsync(root);
var results = new BenchResults { Options = options };
var log = Console.Out;

string? memoryPrefix = null;
foreach (var size in options.Runs("throughput") ? options.Sizes : [])
{
    var large = size >= 100_000;
    for (var r = 0; r < RepeatsAt(size); r++)
    {
        results.Ceiling.Add(await CeilingBench.RunAsync(azurite.ConnectionString, TimeSpan.FromSeconds(5)));
        results.CeilingTransactions.Add(await CeilingBench.RunAsync(azurite.ConnectionString, TimeSpan.FromSeconds(5), transactions: true));
        log.WriteLine(FormattableString.Invariant($"ceiling: {results.Ceiling[^1]:F0} conditional updates/s, {results.CeilingTransactions[^1]:F0} as one-entity transactions"));
        if (large)
        {
            // One ingest of N serves both drains (each capped) and the memory probe: ingesting 100,000 entries takes Azurite many minutes.
            var (prefix, ingest) = await ThroughputBench.SeedAsync(azurite.ConnectionString, size);
            log.WriteLine(FormattableString.Invariant($"ingested {size:N0} in {ingest:F0} s"));
            var one = await ThroughputBench.DrainAsync(azurite.ConnectionString, prefix, size, size, 1, ingest, options.DrainCap);
            results.Throughput.Add(one);
            log.WriteLine(one);
            if (options.Runs("memory") && options.MemorySchedules == size)
            {
                memoryPrefix = prefix;
                (results.Memory, results.MemoryChildRuns) = await MemoryProbe.MeasureAsync(azurite.ConnectionString, size, log, prefix);
                log.WriteLine(FormattableString.Invariant($"memory at {size:N0}: peak working set {results.Memory / 1048576.0:F0} MiB"));
            }

            var three = await ThroughputBench.DrainAsync(azurite.ConnectionString, prefix, size, size - one.Done - results.MemoryChildRuns, 3, ingest, options.DrainCap);
            results.Throughput.Add(three);
            log.WriteLine(three);
            await MeasureIdleAsync(size);
            continue;
        }

        foreach (var dispatchers in new[] { 1, 3 })
        {
            var (prefix, ingest) = await ThroughputBench.SeedAsync(azurite.ConnectionString, size);
            var result = await ThroughputBench.DrainAsync(azurite.ConnectionString, prefix, size, size, dispatchers, ingest, options.DrainCap);
            results.Throughput.Add(result);
            log.WriteLine(result);
        }
    }
}

foreach (var size in options.Runs("throughput") ? options.IdleSizes : [])
{
    await MeasureIdleAsync(size);
}

if (options.Runs("memory") && memoryPrefix is null)
{
    (results.Memory, _) = await MemoryProbe.MeasureAsync(azurite.ConnectionString, options.MemorySchedules, log, prefix: null);
    log.WriteLine(FormattableString.Invariant($"memory at {options.MemorySchedules}: peak working set {results.Memory / 1048576.0:F0} MiB"));
}

foreach (var load in options.Runs("latency") ? options.LatencyLoads : [])
{
    foreach (var precise in new[] { true, false })
    {
        results.Latency.Add(await LatencyBench.RunAsync(azurite.ConnectionString, load, precise, options.LatencyWindow));
        log.WriteLine(results.Latency[^1]);
    }
}

if (options.Runs("quartz"))
{
    var stores = options.Postgres is null ? ["ram"] : new[] { "ram", "postgres" };
    if (options.Postgres is null)
    {
        log.WriteLine("quartz: no PostgreSQL (bench/run.sh starts one when Debian's postgresql is installed); AdoJobStore peer skipped");
    }

    foreach (var size in options.Sizes)
    {
        for (var r = 0; r < RepeatsAt(size); r++)
        {
            foreach (var (store, nodes) in stores.SelectMany(s => s == "ram" ? new[] { (s, 1) } : [(s, 1), (s, 3)]))
            {
                results.QuartzThroughput.Add(await QuartzPeer.ThroughputAsync(store, options.Postgres, size, nodes, options.DrainCap));
                log.WriteLine(results.QuartzThroughput[^1]);
            }
        }
    }

    foreach (var store in stores)
    {
        foreach (var load in options.LatencyLoads)
        {
            results.QuartzLatency.Add(await QuartzPeer.LatencyAsync(store, options.Postgres, load, options.LatencyWindow));
            log.WriteLine(results.QuartzLatency[^1]);
        }

        results.QuartzMemory.Add(await QuartzPeer.LatencyAsync(store, options.Postgres, options.MemorySchedules, TimeSpan.FromSeconds(20)));
        log.WriteLine($"quartz memory: {results.QuartzMemory[^1]}");
    }
}

async Task MeasureIdleAsync(int size)
{
    results.Idle.Add((size, await IdleBench.RunAsync(azurite.ConnectionString, size)));
    log.WriteLine(FormattableString.Invariant($"idle at {size:N0}: {results.Idle[^1].Requests}"));
}

// The raw numbers of the parts above are written before the parts below run, so a part that fails cannot lose them.
var sectionsOnly = options.Parts.All(p => p is "shards" or "processes" or "import" or "move");
if (!sectionsOnly)
{
    await WriteSectionAsync(page => BenchMarkdown.Merge(page, BenchMarkdown.Render(results)));
}

// The parts below write their own sections of the page; a run of one of them alone writes only that section.
if (options.Runs("shards"))
{
    var shardRuns = await ShardBench.RunAsync(azurite.ConnectionString, [.. options.Sizes.Where(s => s <= 10_000)], options.AzureLatency, options.DrainCap, log);
    await WriteSectionAsync(page => ShardBench.Merge(page, shardRuns, options.Command));
}

if (options.Runs("processes"))
{
    results.Processes.AddRange(await ProcessBench.RunAsync(azurite.ConnectionString, [.. options.Sizes.Where(s => s <= 10_000)], options.AzureLatency, options.DrainCap, options.ProcessCores, log));
    await WriteSectionAsync(page => ProcessBench.Merge(page, results.Processes, options.Command));
}

if (options.Runs("import"))
{
    var import = await ImportBench.RunAsync(azurite.ConnectionString, options.ImportRows, log);
    await WriteSectionAsync(page => ImportBench.Merge(page, import, options.Command));
}

if (options.Runs("move"))
{
    var moves = new List<MoveResult>();
    foreach (var size in options.Sizes.Where(s => s <= 10_000))
    {
        moves.AddRange(await MoveBench.RunAsync(azurite.ConnectionString, size, options.AzureLatency, log));
    }

    await WriteSectionAsync(page => MoveBench.Merge(page, moves, options.Command));
}

if (sectionsOnly)
{
    log.WriteLine($"wrote the {string.Join(", ", options.Parts)} section(s) of {options.Output}");
    return 0;
}

int RepeatsAt(int size) => size >= 10_000 ? 1 : options.Repeats; // a 10,000 run takes minutes on this Azurite

if (options.RunsTargets)
{
    await WriteSectionAsync(page => TargetsTable.Merge(page, results));
}

log.WriteLine($"wrote {options.Output}");
return 0;

async Task WriteSectionAsync(Func<string, string> merge)
{
    var current = File.Exists(options.Output) ? await File.ReadAllTextAsync(options.Output) : "# Benchmarks\n";
    await File.WriteAllTextAsync(options.Output, merge(current));
}
