using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Admin;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Sharding;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// On layout 3 a tick dispatches a shard's due schedules together: one query reads their states, and their claims,
/// index moves and runs' ends share transactions. Every occurrence still runs once, and a schedule whose write loses
/// to another writer inside a shared transaction is read again and claimed alone while the rest commit.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class BatchDispatchTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Start = new(2031, 3, 3, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ADueMinuteOfManySchedules_RunsEachOnce_AtMostHalfAStorageRequestAnOccurrence()
    {
        // Arrange: 150 one-offs and 150 every-minute schedules, all due at 10:01
        var recorder = new RunRecorder();
        var clock = new FakeTimeProvider(Start);
        await using var harness = await SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromMinutes(5); },
            services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock));
        foreach (var chunk in Enumerable.Range(0, 300).Chunk(100))
        {
            await harness.SchedulesTable.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add, i < 150
                ? new TableEntity("default", $"once-{i:D3}") { ["Job"] = "record", ["RunAt"] = Start.AddMinutes(1) }
                : new TableEntity("default", $"minutely-{i:D3}") { ["Job"] = "record", ["Cron"] = "* * * * *", ["StartAt"] = Start.AddSeconds(30) })));
        }

        Assert.Equal(0, (await harness.Dispatcher.TickAsync()).Ran);

        // Act: the due minute, and the next
        clock.Advance(TimeSpan.FromMinutes(1));
        var due = await harness.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        var next = await harness.Dispatcher.TickAsync();

        // Assert: each schedule ran once at 10:01, the minutely ones once more at 10:02; the due minute cost at most
        // half a request an occurrence beside the shards' reads and the lease renewal; the ledger audits clean
        Assert.Equal((300, 0, 0), (due.Succeeded, due.Conflicts, due.Errors.Count));
        Assert.Equal((150, 0), (next.Succeeded, next.Errors.Count));
        Assert.Equal(450, recorder.Runs.Count);
        Assert.Equal(450, recorder.Runs.Select(r => r.Key).Distinct().Count());
        Assert.True(due.StorageRequests - (ShardMap.DefaultCount + 1) <= 0.5 * due.Succeeded, $"{due.StorageRequests} requests for {due.Succeeded} occurrences");
        var audit = await harness.Services.GetRequiredService<LedgerAudit>().AuditAsync(Start, clock.GetUtcNow(), clock.GetUtcNow());
        Assert.Equal(300, audit.Count);
        Assert.All(audit, a => Assert.Empty(a.Result.Defects));
        var entries = await harness.Tables.DueIndex.QueryAsync<TableEntity>("PartitionKey ge 'due-' and PartitionKey lt 'due.'").ToListAsync();
        Assert.Equal(150, entries.Count); // the minutely ones' next wake; none left for the one-offs
        Assert.All(entries, e => Assert.Contains("|default|minutely-", e.RowKey, StringComparison.Ordinal));
    }

    /// <summary>
    /// A tick holds up to 5,000 due schedules; their states are read a few rounds of the run budget at a time (with 8
    /// places, 16 a query), not every due one at once, so a large backlog does not keep every full state row in memory
    /// for the whole tick. Each query's key range covers its own schedules only.
    /// </summary>
    [Fact]
    public async Task ABacklogLargerThanTheRunBudget_IsReadAFewRoundsAtATime_AndRunsEachOnce()
    {
        // Arrange: 200 one-offs due at 10:01 (about 25 a shard), 8 runs at once
        var (recorder, clock, prefix) = (new RunRecorder(), new FakeTimeProvider(Start), SchedulerHarness.NewPrefix());
        var rows = new StateQueryRows(prefix + "ScheduleState");
        await using var harness = await StartWithEightPlacesAsync(prefix, rows, recorder, clock);
        await AddThenArmAsync(harness, rows, 200, i => new TableEntity("default", $"backlog-{i:D3}") { ["Job"] = "record", ["RunAt"] = Start.AddMinutes(1) });

        // Act: the due minute's ticks, until none is left due
        clock.Advance(TimeSpan.FromMinutes(1));
        var ticks = await TickUntilNoneDueAsync(harness, maxTicks: 10);

        // Assert: each ran once, without conflicts or errors; no state query returned more than 16 rows, and the
        // due schedules' states took more queries than the 8 shards
        AssertEachRanOnceCleanly(200, recorder, ticks);
        Assert.InRange(rows.MostInOneQuery, 1, 16);
        Assert.True(rows.Queries > ShardMap.DefaultCount, $"{rows.Queries} state queries");
    }

    /// <summary>
    /// A tick that takes a few of many due schedules (the earliest due, scattered over the keys) reads their states by
    /// key range, and other due states lie between them: the pages ask for twice the schedules wanted, not 1,000 rows,
    /// so a dispatcher at 100,000 does not read half-megabyte pages to find 64 states.
    /// </summary>
    [Fact]
    public async Task ScatteredDueSchedules_AreReadInPagesSizedToThem_AndEachRunsOnce()
    {
        // Arrange: 400 one-offs (50 a shard) due over 50 seconds in an order unlike their keys', 40 taken a tick
        var (recorder, clock, prefix) = (new RunRecorder(), new FakeTimeProvider(Start), SchedulerHarness.NewPrefix());
        var rows = new StateQueryRows(prefix + "ScheduleState");
        await using var harness = await StartWithEightPlacesAsync(prefix, rows, recorder, clock, maxDuePerTick: 40);
        await AddThenArmAsync(harness, rows, 400,
            i => new TableEntity("default", $"scattered-{i:D3}") { ["Job"] = "record", ["RunAt"] = Start.AddMinutes(1).AddSeconds(i * 37 % 50) });

        // Act: every one due, then ticks until none is left
        clock.Advance(TimeSpan.FromMinutes(2));
        var ticks = await TickUntilNoneDueAsync(harness, maxTicks: 20);

        // Assert: each ran once, without conflicts or errors; no state query returned more than 16 rows (twice a
        // shard's few wanted, at least 16), where a page of 1,000 returned the shard's other due states too
        AssertEachRanOnceCleanly(400, recorder, ticks);
        Assert.InRange(rows.MostInOneQuery, 1, 16);
    }

    [Fact]
    public async Task AClaimWhoseStateChangedBeforeItsSharedTransaction_IsReadAgainAndClaimedAlone_WhileTheOthersCommit()
    {
        // Arrange: two one-offs of one shard due at 10:01; the first claim transaction of the state table finds the
        // first schedule's state changed by another writer just before it is sent
        var (recorder, clock, pair, prefix) = (new RunRecorder(), new FakeTimeProvider(Start), TwoOfOneShard("pair"), SchedulerHarness.NewPrefix());
        var touch = new TouchBeforeFirstBatch(new TableServiceClient(azurite.ConnectionString).GetTableClient(prefix + "ScheduleState"));
        await using var harness = await StartWithOneOffsAsync(prefix, touch, recorder, clock, pair);
        touch.Arm(await harness.StateRowAsync(new ScheduleKey("default", pair[0])));

        // Act
        clock.Advance(TimeSpan.FromMinutes(1));
        var tick = await harness.Dispatcher.TickAsync();

        // Assert: the touched state was met once (one conflict), read again and claimed alone; both ran once, attempt 1
        Assert.True(touch.Touched);
        Assert.Equal((2, 1, 0), (tick.Succeeded, tick.Conflicts, tick.Errors.Count));
        Assert.Equal(2, recorder.Runs.Count);
        foreach (var id in pair)
        {
            var run = Assert.Single(await harness.States.ReadRunsAsync(new ScheduleKey("default", id)));
            Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempt));
        }
    }

    /// <summary>
    /// The claim transaction fails as a whole: throttled (503), or no answer at all after the client's retries (an
    /// AggregateException of the attempts, as when storage refuses connections). The second once threw through the batch
    /// and kept the claims' places of the run budget for good; enough such ticks and the process would start no run again.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClaimTransactionFailedAsAWhole_LeavesItsSchedulesDue_WithoutReadingEachAlone_AndTheNextTickRunsThem(bool noAnswer)
    {
        // Arrange: two one-offs of one shard due at 10:01; the state table's first claim transaction fails as a whole
        var (recorder, clock, pair, prefix) = (new RunRecorder(), new FakeTimeProvider(Start), TwoOfOneShard("busy"), SchedulerHarness.NewPrefix());
        var busy = new BusyFirstStateBatch(prefix + "ScheduleState") { NoAnswer = noAnswer };
        await using var harness = await StartWithOneOffsAsync(prefix, busy, recorder, clock, pair);
        var lanes = harness.Services.GetRequiredService<DispatchLanes>();
        var budget = harness.Services.GetRequiredService<SchedulerOptions>().MaxConcurrentRuns;
        busy.Armed = true;

        // Act
        clock.Advance(TimeSpan.FromMinutes(1));
        var failed = await harness.Dispatcher.TickAsync();
        var placesAfterFailure = lanes.RunBudget;
        var next = await harness.Dispatcher.TickAsync();

        // Assert: the failed tick claimed and ran nothing, read no state alone, said why once and kept no place of the
        // run budget; the next ran both once
        Assert.Equal(1, busy.Answered);
        Assert.Equal((0, 0), (failed.Claimed, busy.PointReadsAfter));
        Assert.Contains("2 claims of shard", Assert.Single(failed.Errors));
        Assert.Equal(budget, placesAfterFailure);
        Assert.Equal((2, 0), (next.Succeeded, next.Errors.Count));
        Assert.Equal(2, recorder.Runs.Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public async Task SharedTransactions_AnswerAFailedPartWithItsOwnFailure_AndCommitEveryOtherPart()
    {
        // Arrange: 60 parts of two rows each in one partition (two transactions' worth), the seventh conditional on an
        // ETag its row no longer has, and a part in another partition
        var table = new TableServiceClient(azurite.ConnectionString).GetTableClient(SchedulerHarness.NewPrefix() + "Coalesced");
        await table.CreateIfNotExistsAsync();
        var stale = (await table.AddEntityAsync(new TableEntity("p", "row-06a"))).Headers.ETag!.Value;
        await table.UpsertEntityAsync(new TableEntity("p", "row-06a") { ["Changed"] = true });
        var parts = Enumerable.Range(0, 60).Select(i => (IReadOnlyList<TableTransactionAction>)
        [
            i == 6
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, new TableEntity("p", $"row-{i:D2}a") { ["N"] = i }, stale)
                : new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("p", $"row-{i:D2}a") { ["N"] = i }),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("p", $"row-{i:D2}b") { ["N"] = i }),
        ]).Append([new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("q", "other"))]).ToList();
        var coalescer = new TransactionCoalescer(() => table);

        // Act
        var outcomes = await coalescer.SubmitAllAsync(parts);

        // Assert: only the seventh failed, with 412; the others' rows are written and each got its responses' ETags
        Assert.Equal(412, Assert.Single(outcomes, o => !o.Committed).Failure!.Status);
        Assert.False(outcomes[6].Committed);
        Assert.All(outcomes.Where((_, i) => i != 6), o => Assert.All(o.Responses!, r => Assert.NotNull(r.Headers.ETag)));
        var rows = await table.QueryAsync<TableEntity>(e => e.PartitionKey == "p").ToListAsync();
        Assert.Equal(119, rows.Count);
        Assert.True((await table.GetEntityAsync<TableEntity>("p", "row-06a")).Value.GetBoolean("Changed"));
        Assert.False((await table.GetEntityAsync<TableEntity>("p", "row-06a")).Value.ContainsKey("N"));
        Assert.NotNull(await table.GetEntityAsync<TableEntity>("q", "other"));
    }

    [Fact]
    public async Task ARunInterruptedByShutdown_IsRecordedAndReleased_WithItsEntryDueNow_SoTheNextInstanceRunsItAtOnce()
    {
        // Arrange: a one-off whose first attempt runs until the host stops
        var clock = new FakeTimeProvider(Start);
        var prefix = SchedulerHarness.NewPrefix();
        var key = new ScheduleKey("default", "interrupted");
        void Configure(Scheduler.Hosting.SchedulerOptions o) { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromSeconds(10); }
        await using var stopping = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RunsUntilStopped>("until-stopped"),
            configure: Configure, services: s => s.AddSingleton<TimeProvider>(clock), instanceId: "stopping");
        await stopping.SchedulesTable.PutRawAsync(key.Id, ("Job", "until-stopped"), ("RunAt", Start.AddMinutes(1)));
        await stopping.Dispatcher.TickAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        using var shutdown = new CancellationTokenSource();
        RunsUntilStopped.Started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Act: the tick's run starts; the host stops; another instance ticks at the same instant
        var tick = stopping.Dispatcher.TickAsync(shutdown.Token);
        await RunsUntilStopped.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await shutdown.CancelAsync();
        await tick;
        await using var next = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RunsUntilStopped>("until-stopped"),
            configure: Configure, services: s => s.AddSingleton<TimeProvider>(clock), instanceId: "next");
        clock.Advance(TimeSpan.FromSeconds(11)); // the stopping host's shard leases lapse
        var rerun = await next.Dispatcher.TickAsync();

        // Assert: attempt 1 recorded as interrupted by the shutdown, attempt 2 run by the next instance in its first tick
        Assert.Equal(1, rerun.Succeeded);
        var runs = (await next.States.ReadRunsAsync(key)).OrderBy(r => r.Attempt).ToList();
        Assert.Equal([(1, RunStatus.Failed), (2, RunStatus.Succeeded)], runs.Select(r => (r.Attempt, r.Status)));
        Assert.Equal("cancelled because the host is shutting down", runs[0].ErrorMessage);
    }

    /// <summary>The first attempt runs until its host stops; later attempts end at once.</summary>
    /// <summary>Two schedule ids of one shard, named <paramref name="stem"/>-N.</summary>
    private static List<string> TwoOfOneShard(string stem) =>
        [.. Enumerable.Range(0, 100).Select(i => $"{stem}-{i}").GroupBy(id => ShardMap.ShardOf(new ScheduleKey("default", id), ShardMap.DefaultCount)).First(g => g.Count() >= 2).Take(2)];

    /// <summary>A harness whose tables go through <paramref name="policy"/>, with one-offs <paramref name="ids"/> due at 10:01, after its first tick.</summary>
    private async Task<SchedulerHarness> StartWithOneOffsAsync(string prefix, HttpPipelinePolicy policy, RunRecorder recorder, FakeTimeProvider clock, IEnumerable<string> ids)
    {
        var harness = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromMinutes(5); },
            services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock).AddSingleton(_ =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(policy, HttpPipelinePosition.PerCall);
                return new TableServiceClient(azurite.ConnectionString, options);
            }));
        foreach (var id in ids)
        {
            await harness.SchedulesTable.PutRawAsync(id, ("Job", "record"), ("RunAt", Start.AddMinutes(1)));
        }

        await harness.Dispatcher.TickAsync();
        return harness;
    }

    private sealed class RunsUntilStopped : Scheduler.Jobs.IJob
    {
        public static TaskCompletionSource Started { get; set; } = new();

        public async Task RunAsync(Scheduler.Jobs.JobContext context, CancellationToken cancellationToken)
        {
            if (context.Attempt == 1)
            {
                Started.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Once armed, fails the first entity-group transaction to the state table: 503 ServerBusy, or with <see cref="NoAnswer"/>
    /// what the client throws when every attempt went unanswered. Counts the state table's point reads after it.
    /// </summary>
    private sealed class BusyFirstStateBatch(string stateTable) : AsyncPipelinePolicy
    {
        private int _answered;
        private int _pointReads;

        public bool Armed { get; set; }

        public bool NoAnswer { get; init; }

        public int Answered => Volatile.Read(ref _answered);

        public int PointReadsAfter => Volatile.Read(ref _pointReads);

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var path = Uri.UnescapeDataString(message.Request.Uri.ToUri().AbsolutePath);
            if (Armed && Answered > 0 && message.Request.Method == RequestMethod.Get && path.Contains(stateTable + "(PartitionKey=", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _pointReads);
            }

            if (Armed && message.Request.Method == RequestMethod.Post && path.EndsWith("$batch", StringComparison.Ordinal)
                && TouchBeforeFirstBatch.Body(message).Contains(stateTable, StringComparison.Ordinal) && Interlocked.CompareExchange(ref _answered, 1, 0) == 0)
            {
                throw NoAnswer
                    ? new AggregateException("Retry failed after 4 tries.", Enumerable.Range(0, 4).Select(_ => new RequestFailedException("Connection refused (127.0.0.1:1)")))
                    : new RequestFailedException(503, "The server is busy.", "ServerBusy", null);
            }

            await ProcessNextAsync(message, pipeline);
        }
    }

    /// <summary>A dispatcher with 8 places for runs whose table requests pass <paramref name="rows"/>; edits read hourly.</summary>
    private Task<SchedulerHarness> StartWithEightPlacesAsync(string prefix, StateQueryRows rows, RunRecorder recorder, FakeTimeProvider clock, int maxDuePerTick = 5000) =>
        SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"),
            configure: o => { o.ReconcileInterval = TimeSpan.FromHours(1); o.ShardLeaseDuration = TimeSpan.FromMinutes(5); o.MaxConcurrentRuns = 8; o.MaxDuePerTick = maxDuePerTick; },
            services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock).AddSingleton(_ =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(rows, HttpPipelinePosition.PerCall);
                return new TableServiceClient(azurite.ConnectionString, options);
            }));

    /// <summary>Adds <paramref name="count"/> entries, lets a tick apply them, then starts counting state queries.</summary>
    private static async Task AddThenArmAsync(SchedulerHarness harness, StateQueryRows rows, int count, Func<int, TableEntity> entry)
    {
        foreach (var chunk in Enumerable.Range(0, count).Chunk(100))
        {
            await harness.SchedulesTable.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add, entry(i))));
        }

        await harness.Dispatcher.TickAsync();
        rows.Armed = true;
    }

    private static void AssertEachRanOnceCleanly(int schedules, RunRecorder recorder, List<TickReport> ticks)
    {
        Assert.Equal(schedules, recorder.Runs.Count);
        Assert.Equal(schedules, recorder.Runs.Select(r => r.Key).Distinct().Count());
        Assert.All(ticks, t => Assert.Equal((0, 0), (t.Conflicts, t.Errors.Count)));
    }

    private static async Task<List<TickReport>> TickUntilNoneDueAsync(SchedulerHarness harness, int maxTicks)
    {
        var ticks = new List<TickReport>();
        do
        {
            ticks.Add(await harness.Dispatcher.TickAsync());
        }
        while (ticks[^1].DueEntries > 0 && ticks.Count < maxTicks);
        return ticks;
    }

    /// <summary>Once armed, counts the state table's queries and the most rows one of them returned.</summary>
    private sealed class StateQueryRows(string stateTable) : AsyncPipelinePolicy
    {
        private int _queries;
        private int _most;

        public bool Armed { get; set; }

        public int Queries => Volatile.Read(ref _queries);

        public int MostInOneQuery => Volatile.Read(ref _most);

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            var path = Uri.UnescapeDataString(message.Request.Uri.ToUri().AbsolutePath);
            if (Armed && message.Request.Method == RequestMethod.Get && path.EndsWith(stateTable + "()", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _queries);
                var returned = message.Response.Content.ToString().Split("\"RowKey\":").Length - 1;
                for (var most = MostInOneQuery; returned > most && Interlocked.CompareExchange(ref _most, returned, most) != most; most = MostInOneQuery)
                {
                }
            }
        }
    }

    /// <summary>Before the first entity-group transaction to the state table after <see cref="Arm"/>, another writer merges a column into the armed row.</summary>
    private sealed class TouchBeforeFirstBatch(TableClient state) : AsyncPipelinePolicy
    {
        private TableEntity? _row;
        private int _touched;

        public bool Touched => Volatile.Read(ref _touched) == 1;

        public void Arm(TableEntity row) => _row = row;

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (_row is { } row && message.Request.Method == RequestMethod.Post && message.Request.Uri.ToUri().AbsolutePath.EndsWith("$batch", StringComparison.Ordinal)
                && Body(message).Contains(state.Name, StringComparison.Ordinal) && Interlocked.CompareExchange(ref _touched, 1, 0) == 0)
            {
                await state.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { ["TouchedByAnotherWriter"] = true }, ETag.All, TableUpdateMode.Merge);
            }

            await ProcessNextAsync(message, pipeline);
        }

        public static string Body(HttpMessage message)
        {
            using var body = new MemoryStream();
            message.Request.Content?.WriteTo(body, default);
            return System.Text.Encoding.UTF8.GetString(body.ToArray());
        }
    }
}
