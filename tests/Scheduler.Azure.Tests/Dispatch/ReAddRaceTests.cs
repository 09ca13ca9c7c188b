using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>
/// The soak's re-added schedule that never ran again, made deterministic. Re-adding a removed schedule writes its due
/// entry, then its state. Another instance's tick that reads the entry and the still-Deleted state in between removes
/// the entry as stale; whichever side's step lands last, the schedule must end with an entry and run.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class ReAddRaceTests(AzuriteFixture azurite)
{
    /// <summary>Calls hooks after requests of one instance: its due-index writes and its point reads of a state row.</summary>
    private sealed class RequestHooks : AsyncPipelinePolicy
    {
        public string DueTable { get; set; } = "";
        public Func<Task>? AfterDueWrite { get; set; }
        public Func<Task>? AfterStateRead { get; set; }

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            var path = Uri.UnescapeDataString(message.Request.Uri.ToUri().AbsolutePath);
            var method = message.Request.Method;
            if (method != RequestMethod.Get && method != RequestMethod.Delete && path.Contains("/" + DueTable + "(", StringComparison.Ordinal)
                && Interlocked.Exchange(ref _afterDueWrite, null) is { } dueHook)
            {
                await dueHook();
            }
            else if (method == RequestMethod.Get && StateRowRequest.From(path) is not null && message.Response.Status == 200
                && Interlocked.Exchange(ref _afterStateRead, null) is { } stateHook)
            {
                await stateHook();
            }
        }

        private Func<Task>? _afterDueWrite;
        private Func<Task>? _afterStateRead;

        public void Arm()
        {
            _afterDueWrite = AfterDueWrite;
            _afterStateRead = AfterStateRead;
        }
    }

    [Fact]
    public async Task ATickThatRemovesTheEntryAfterTheReAddCommitted_ReadsTheStateAgainAndRestoresIt()
    {
        await using var race = await RaceAsync();

        // Act: the re-add writes its entry; the rival reads it and the Deleted state; the re-add finishes; the rival deletes the entry
        Task? rivalTick = null;
        var rivalReadState = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reAdd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        race.Editor.AfterDueWrite = async () =>
        {
            race.Clock.Advance(TimeSpan.FromSeconds(31)); // the re-added schedule's start: its entry is due for the rival
            rivalTick = race.Rival.Dispatcher.TickAsync(reconcile: false);
            await rivalReadState.Task.WaitAsync(TimeSpan.FromSeconds(30));
        };
        race.Ticker.AfterStateRead = async () =>
        {
            rivalReadState.SetResult();
            await reAdd.Task.WaitAsync(TimeSpan.FromSeconds(30));
        };
        await race.ReAddAsync(reAdd);
        await rivalTick!;

        // Assert
        await race.AssertItRunsAgainAsync();
    }

    [Fact]
    public async Task ATickThatRemovesTheEntryBeforeTheReAddCommitted_IsUndoneByTheReAddWritingItAgain()
    {
        await using var race = await RaceAsync();

        // Act: the re-add writes its entry; the rival's whole tick reads it, reads the Deleted state and removes it; the re-add commits
        race.Editor.AfterDueWrite = async () =>
        {
            race.Clock.Advance(TimeSpan.FromSeconds(31)); // the re-added schedule's start: its entry is due for the rival
            var rival = await race.Rival.Dispatcher.TickAsync(reconcile: false);
            Assert.Equal(1, rival.DueEntries); // it did read the entry
        };
        await race.ReAddAsync(new TaskCompletionSource());

        // Assert
        await race.AssertItRunsAgainAsync();
    }

    private async Task<Race> RaceAsync()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 9, 0, 0, TimeSpan.Zero)); // ahead of the real clock, as Azurite's Timestamps need
        var recorder = new RunRecorder();
        var prefix = SchedulerHarness.NewPrefix();
        var editor = new RequestHooks();
        var ticker = new RequestHooks();
        var harnesses = new List<SchedulerHarness>();
        foreach (var (hooks, instance) in new[] { (editor, "editor"), (ticker, "rival") })
        {
            harnesses.Add(await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<RecordingJob>("record"), instanceId: instance,
                configure: o =>
                {
                    o.PreciseFiring = false;
                    o.EditPollMaxSchedules = instance == "rival" ? 0 : o.EditPollMaxSchedules; // the rival applies no edit itself
                },
                services: s => s.AddSingleton(recorder).AddSingleton<TimeProvider>(clock).AddSingleton(_ =>
                {
                    var options = new TableClientOptions();
                    options.AddPolicy(hooks, HttpPipelinePosition.PerCall);
                    return new TableServiceClient(azurite.ConnectionString, options);
                })));
            hooks.DueTable = harnesses[^1].Tables.DueIndex.Name;
        }

        var race = new Race(harnesses[0], harnesses[1], editor, ticker, clock, recorder);
        await harnesses[0].SchedulesTable.PutRawAsync(Race.Id, ("Job", "record"), ("Interval", "1m"));
        await harnesses[0].Reconciler.ReconcileAsync(default);
        await harnesses[0].SchedulesTable.DeleteEntityAsync("default", Race.Id);
        clock.Advance(TimeSpan.FromSeconds(1));
        await harnesses[0].Reconciler.ReconcileAsync(default);
        Assert.Equal(ScheduleStatus.Deleted, (await harnesses[0].States.GetAsync(Race.Key, default))!.State.Status);
        return race;
    }

    private sealed record Race(SchedulerHarness EditorHost, SchedulerHarness Rival, RequestHooks Editor, RequestHooks Ticker, FakeTimeProvider Clock, RunRecorder Recorder) : IAsyncDisposable
    {
        public const string Id = "re-added";
        public static readonly ScheduleKey Key = new("default", Id);

        /// <summary>Puts the entry back and applies it on the editor instance, the hooks armed; completes <paramref name="done"/> after.</summary>
        public async Task ReAddAsync(TaskCompletionSource done)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            await EditorHost.SchedulesTable.PutRawAsync(Id, ("Job", "record"), ("Interval", "1m"), ("StartAt", Clock.GetUtcNow().AddSeconds(30)));
            Editor.Arm();
            Ticker.Arm();
            try
            {
                await EditorHost.Reconciler.ReconcileAsync(default);
            }
            finally
            {
                done.TrySetResult();
            }
        }

        public async Task AssertItRunsAgainAsync()
        {
            var state = await EditorHost.States.GetAsync(Key, default);
            Assert.Equal(ScheduleStatus.Active, state!.State.Status);
            var due = state.State.NextDue!.Value;
            Clock.SetUtcNow(new[] { due.AddSeconds(1), Clock.GetUtcNow().AddSeconds(1) }.Max());
            var tick = await Rival.Dispatcher.TickAsync(reconcile: false); // no edit scan: the entry alone must bring it
            Assert.Equal(1, tick.Ran);
            Assert.Equal([Scheduler.Jobs.IdempotencyKeys.For(Key, due)], Recorder.Runs.Select(r => r.Key));
        }

        public async ValueTask DisposeAsync()
        {
            await EditorHost.DisposeAsync();
            await Rival.DisposeAsync();
        }
    }
}
