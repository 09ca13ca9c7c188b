using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Quartz;

namespace Scheduler.Bench;

/// <summary>
/// One Quartz.NET scheduler process, the peer's counterpart of a dispatcher instance: RAMJobStore, or AdoJobStore on
/// PostgreSQL clustered with the other nodes. Each node is its own process because Quartz keeps one scheduler per
/// name per process, and a cluster is several schedulers of one name. Speaks a line protocol with <see cref="QuartzPeer"/>:
/// it prints "ready", waits for "start", prints "ran COUNT LAST_MS" as jobs finish, and on "stop" prints its start
/// delays and peak working set.
/// </summary>
public static class QuartzNode
{
    public static async Task<int> RunAsync(string store, string connection, string instanceId, int seed, string kind)
    {
        var factory = QuartzSchedulerBuilder.Create(q =>
        {
            q.UseDefaultThreadPool(16); // as many runs at once as a dispatcher's default Parallelism
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "bench";
                o.InstanceId = instanceId;
                o.MaxBatchSize = 16;
            });
            if (store == "ram")
            {
                q.UseInMemoryStore(o => o.MisfireThreshold = TimeSpan.FromDays(1));
            }
            else
            {
                q.UsePersistentStore(s =>
                {
                    s.UsePostgres(connection);
                    s.ProvisionSchema();
                    s.UseSystemTextJsonSerializer();
                    s.UseClustering(c => c.CheckinInterval = TimeSpan.FromSeconds(5));
                    s.ConfigureStore(o => o.MisfireThreshold = TimeSpan.FromDays(1));
                });
            }
        }).Build();
        var scheduler = await factory.GetScheduler();

        var ingest = Stopwatch.StartNew();
        if (seed > 0)
        {
            // Provisioning happens on start: start, hold in standby, replace whatever the last run left, then seed.
            await scheduler.Start();
            await scheduler.Standby();
            await scheduler.Clear();
            await SeedAsync(scheduler, seed, kind);
        }

        ingest.Stop();
        Console.WriteLine(FormattableString.Invariant($"ready {ingest.ElapsedMilliseconds}"));

        var start = Console.ReadLine()?.Split(' ') ?? [];
        QuartzNoopJob.RecordFrom = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(start[1], CultureInfo.InvariantCulture));
        await scheduler.Start();
        using var reporting = new CancellationTokenSource();
        var reporter = ReportAsync(reporting.Token);
        _ = Console.ReadLine(); // "stop"
        await scheduler.Shutdown(waitForJobsToComplete: true);
        await reporting.CancelAsync();
        await reporter;
        Console.WriteLine(FormattableString.Invariant($"ran {QuartzNoopJob.Ran} {QuartzNoopJob.LastDoneMs}"));
        Console.WriteLine("delays " + string.Join(',', QuartzNoopJob.DelaysMs.Select(d => d.ToString("F1", CultureInfo.InvariantCulture))));
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(FormattableString.Invariant($"peak {self.PeakWorkingSet64}"));
        return 0;
    }

    private static async Task SeedAsync(IScheduler scheduler, int count, string kind)
    {
        var due = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var from = 0; from < count; from += 10_000)
        {
            var batch = new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>>();
            for (var i = from; i < Math.Min(count, from + 10_000); i++)
            {
                var job = JobBuilder.Create<QuartzNoopJob>().WithIdentity($"s{i:D6}").Build();
                var trigger = TriggerBuilder.Create().WithIdentity($"s{i:D6}");
                trigger = kind == "once"
                    ? trigger.StartAt(due) // one run, as our bench's RunAt entries
                    : trigger.WithCronSchedule(string.Create(CultureInfo.InvariantCulture, $"{i % 60} * * * * ?"));
                batch[job] = [trigger.Build()];
            }

            await scheduler.ScheduleJobs(batch, new ScheduleJobOptions { Replace = true });
        }
    }

    private static async Task ReportAsync(CancellationToken cancellationToken)
    {
        var reported = -1;
        while (!cancellationToken.IsCancellationRequested)
        {
            var ran = QuartzNoopJob.Ran;
            if (ran != reported)
            {
                Console.WriteLine(FormattableString.Invariant($"ran {ran} {QuartzNoopJob.LastDoneMs}"));
                reported = ran;
            }

            try
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}

/// <summary>The peer's no-op job: counts runs, notes when the last finished and how late each started.</summary>
public sealed class QuartzNoopJob : IJob
{
    private static int _ran;
    private static long _lastDoneMs;

    public static int Ran => Volatile.Read(ref _ran);

    public static long LastDoneMs => Volatile.Read(ref _lastDoneMs);

    public static DateTimeOffset RecordFrom { get; set; } = DateTimeOffset.MaxValue;

    public static ConcurrentBag<double> DelaysMs { get; } = [];

    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        if (context.ScheduledFireTimeUtc is { } due && due >= RecordFrom)
        {
            DelaysMs.Add((now - due).TotalMilliseconds);
        }

        Interlocked.Increment(ref _ran);
        InterlockedMax(ref _lastDoneMs, now.ToUnixTimeMilliseconds());
        return ValueTask.CompletedTask;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
