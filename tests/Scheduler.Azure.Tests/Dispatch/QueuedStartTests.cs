using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Jobs;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Dispatch;

/// <summary>A queued run that starts late (its message waited, or its host stalled) holds its place for a whole lease.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class QueuedStartTests(AzuriteFixture azurite)
{
    public sealed class Gate
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public void Ran() => Interlocked.Increment(ref _runs);
    }

    public sealed class GatedJob(Gate gate) : IJob
    {
        public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            gate.Ran();
            gate.Entered.TrySetResult();
            await gate.Release.Task.WaitAsync(cancellationToken);
        }
    }

    [Fact]
    public async Task QueuedRun_StartedAfterItsClaimsLeaseEnded_IsNotTakenOverWhileItRuns()
    {
        // Arrange: Queue dispatch on the fake clock; a tick claims and queues an occurrence, and its message is
        // delivered only after the claim's lease has ended (soak, queue-duplicates: a 13 s stall ran six occurrences twice)
        var prefix = SchedulerHarness.NewPrefix();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var gate = new Gate();
        void Queue(SchedulerOptions o)
        {
            o.Dispatch = DispatchMode.Queue;
            o.Queue = prefix + "-occurrences";
            o.LeaseMargin = TimeSpan.FromSeconds(1);
            o.AbandonGrace = TimeSpan.FromSeconds(1);
        }

        void Services(IServiceCollection s) => s.AddSingleton(gate).AddSingleton<TimeProvider>(clock);
        await using var claimer = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<GatedJob>("gated"), Queue, Services, "claimer");
        await using var rival = await SchedulerHarness.StartAsync(azurite, prefix, jobs => jobs.AddJob<GatedJob>("gated"), Queue, Services, "rival");
        var key = new ScheduleKey("default", "late-start");
        var due = clock.GetUtcNow().AddSeconds(1);
        await claimer.SchedulesTable.PutRawAsync(key.Id, ("Job", "gated"), ("RunAt", due), ("TimeoutSeconds", 5));
        await claimer.Reconciler.ReconcileAsync(default);
        clock.Advance(TimeSpan.FromSeconds(1.1));
        Assert.Equal(1, (await claimer.Dispatcher.TickAsync()).Claimed);
        var queue = claimer.Services.GetRequiredService<OccurrenceQueue>();
        var message = OccurrenceMessage.Parse((await queue.Client.ReceiveMessageAsync()).Value.MessageText);
        clock.Advance(message.LeaseUntil - clock.GetUtcNow() + TimeSpan.FromSeconds(3));

        // Act: the late message starts the run; while it runs, the other instance ticks
        var execution = claimer.Services.GetRequiredService<OccurrenceExecutor>().ExecuteAsync(message, default);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        clock.Advance(TimeSpan.FromSeconds(1));
        var rivalTick = await rival.Dispatcher.TickAsync();
        var whileRunning = (await rival.States.GetAsync(key))!.State.InFlight;
        var ledgerWhileRunning = Assert.Single(await rival.States.ReadRunsAsync(key));
        gate.Release.SetResult();
        var outcome = await execution.WaitAsync(TimeSpan.FromSeconds(30));

        // Assert: nothing taken over or claimed again; the lease (state and ledger) counts from the start; one run
        Assert.Equal(0, rivalTick.Claimed);
        var running = Assert.Single(whileRunning);
        Assert.True(running.LeaseUntil > clock.GetUtcNow().AddSeconds(5), $"lease until {running.LeaseUntil:O}, now {clock.GetUtcNow():O}");
        Assert.Equal(running.LeaseUntil, ledgerWhileRunning.LeaseUntil);
        Assert.Equal(RunStatus.Succeeded, outcome?.Status);
        Assert.Equal(1, gate.Runs);
        var run = Assert.Single(await rival.States.ReadRunsAsync(key));
        Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempt));
    }
}
