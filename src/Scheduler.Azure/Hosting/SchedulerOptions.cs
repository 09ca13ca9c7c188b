namespace Scheduler.Hosting;

/// <summary>The "Scheduler" configuration section.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduler";

    /// <summary>Names this process in claims and the ledger. Default: machine name, process id and a random suffix.</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    public TableNames Tables { get; set; } = new();

    /// <summary>
    /// How often a tick re-reads the Schedules table for edits. Zero (the default) means every tick, so an edit is
    /// picked up on the next tick; one scan costs a request per 1,000 entries, so large tables want a longer interval.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// While a precise-firing invocation waits, it looks again this often: it reads edits (tables up to
    /// <see cref="EditPollMaxSchedules"/>) and the due index, so a new schedule, an edit or a pause committed a second
    /// before a due time is honoured, and wake-ups written elsewhere (a queued run that started, a manual trigger) are seen.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Schedules tables up to this size are re-read before every precise tick and at every poll (one request per 1,000
    /// entries); larger ones at <see cref="ReconcileInterval"/> on the tick schedule only.
    /// </summary>
    public int EditPollMaxSchedules { get; set; } = 2000;

    /// <summary>Schedules whose storage work (read, plan, claim, record) one process does at once, across all its ticks. Not held while jobs run.</summary>
    public int Parallelism { get; set; } = 16;

    /// <summary>Runs one process has in flight at most (Inline dispatch); a due schedule beyond it waits for the next tick.</summary>
    public int MaxConcurrentRuns { get; set; } = 128;

    /// <summary>Due index entries one tick takes; the rest wait for the next tick.</summary>
    public int MaxDuePerTick { get; set; } = 5000;

    /// <summary>
    /// Shards of the due index for new tables (1 to 64): instances split them by lease, each shard one partition. Read
    /// from the tables' layout row once it exists (a deployment keeps the count it was created with). Default 8.
    /// </summary>
    public int Shards { get; set; } = Sharding.ShardMap.DefaultCount;

    /// <summary>
    /// How long a process's hold on a shard lasts unless renewed; a crashed process's shards are taken over after it.
    /// Short, because a lease guards no run (claims are conditional on the state row), only who reads which entries: a
    /// lease that lapses under a stall costs a read twice, a long one leaves a dead host's schedules waiting. With
    /// precise firing a process reads the leases every fifth of this (each poll at the default) and renews at half; one
    /// that holds every shard renews them every fifth instead of reading, conditional on their ETags.
    /// </summary>
    public TimeSpan ShardLeaseDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Tables of layout 2 (from before the state table was sharded) move to layout 3 in place, in the background, from
    /// the first start of this version: the move is announced this long before any row moves, and while the tables may
    /// move every process reads the layout row again every quarter of this, so all have seen it before rows move. A
    /// process that moves rows and stops is taken over after it. The same on every instance (an app setting). Default
    /// 2 minutes; 00:00:04 or more.
    /// </summary>
    public TimeSpan LayoutMoveNotice { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Ledger rows kept per schedule; older ones are pruned.</summary>
    public int LedgerRetention { get; set; } = 200;

    /// <summary>Edit history rows kept per schedule.</summary>
    public int EditRetention { get; set; } = 50;

    /// <summary>How long a handler may ignore cancellation after its timeout before the run is abandoned and recorded TimedOut.</summary>
    public TimeSpan AbandonGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Added to a run's TimeoutSeconds to form its lease; after the lease an unreported run is presumed dead and re-run.</summary>
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(30);

    public InputOptions Inputs { get; set; } = new();

    /// <summary>
    /// The longest TimeoutSeconds a schedule may have here, with <see cref="RunTimeoutLimitReason"/> saying why (the
    /// Function App sets both from host.json functionTimeout at start-up; none for the standalone host).
    /// </summary>
    public TimeSpan? RunTimeoutLimit { get; set; }

    public string? RunTimeoutLimitReason { get; set; }

    /// <summary>
    /// The tick's schedule, six-field NCRONTAB as Functions timers use it. The timer function reads it as
    /// %Scheduler:TickSchedule%; the standalone host reads the same setting.
    /// </summary>
    public string TickSchedule { get; set; } = "0 * * * * *";

    /// <summary>
    /// Within one tick invocation, wait for occurrences due before the next tick and start them on time. Costs one
    /// index read per wait; turns a once-a-minute timer into sub-second start latency.
    /// </summary>
    public bool PreciseFiring { get; set; } = true;

    /// <summary>Inline: the tick runs jobs itself. Queue: the tick enqueues claimed occurrences for RunOccurrence.</summary>
    public DispatchMode Dispatch { get; set; } = DispatchMode.Inline;

    /// <summary>The storage queue claimed occurrences go to in Queue mode.</summary>
    public string Queue { get; set; } = "scheduler-occurrences";

    /// <summary>A copy to keep: registration never changes the object it was given.</summary>
    internal SchedulerOptions Copy()
    {
        var copy = (SchedulerOptions)MemberwiseClone();
        copy.Tables = Tables.Copy();
        copy.Inputs = new InputOptions { AllowedContainers = [.. Inputs.AllowedContainers] };
        return copy;
    }
}

public enum DispatchMode
{
    Inline,
    Queue,
}

public sealed class TableNames
{
    /// <summary>Prepended to every table name, so several deployments can share an account.</summary>
    public string Prefix { get; set; } = "";
    public string Schedules { get; set; } = "Schedules";
    /// <summary>Per schedule one partition: the state row, the run ledger and the edit history.</summary>
    public string State { get; set; } = "ScheduleState";
    public string DueIndex { get; set; } = "ScheduleDue";
    public string Jobs { get; set; } = "Jobs";

    internal TableNames Copy() => (TableNames)MemberwiseClone();
}

public sealed class InputOptions
{
    /// <summary>Blob containers a schedule's Input may name; anything else is rejected as invalid.</summary>
    public List<string> AllowedContainers { get; set; } = [];
}
