using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scheduler.Azure.Hosting;
using Scheduler.Jobs;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Azure.Dispatch;

/// <summary>
/// Runs one claimed occurrence: a fresh DI scope, the handler resolved by job name, inputs opened lazily, the timeout
/// enforced. Every way a run can end becomes a <see cref="RunOutcome"/>; nothing escapes to the dispatcher.
/// </summary>
public sealed class JobRunner(
    IServiceScopeFactory scopes,
    BlobServiceClient blobs,
    SchedulerOptions options,
    TimeProvider clock,
    ILoggerFactory loggers)
{
    public async Task<RunOutcome> RunAsync(ScheduleDefinition definition, ClaimedRun run, CancellationToken stopping)
    {
        var started = clock.GetUtcNow();
        var logger = loggers.CreateLogger($"Scheduler.Jobs.{definition.Job}");
        await using var scope = scopes.CreateAsyncScope();
        await using var inputs = new BlobJobInputs(blobs, definition.Input, definition.Key);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(definition.Policies.Timeout);

        RunOutcome Outcome(RunStatus status, Exception? error = null, string? message = null) =>
            new(status, started, clock.GetUtcNow(), error?.GetType().Name, message ?? error?.Message, new Dictionary<string, string>(inputs.Read),
                status == RunStatus.Skipped ? message : null, Interrupted: stopping.IsCancellationRequested && status != RunStatus.Succeeded);

        var job = scope.ServiceProvider.GetKeyedService<IJob>(definition.Job);
        if (job is null)
        {
            return Outcome(RunStatus.Failed, null, $"no handler is registered for job \"{definition.Job}\" in this app; register it with AddJob<T>(\"{definition.Job}\")");
        }

        var context = new JobContext(definition.Key, definition.Job, run.Due, run.Attempt, definition.ArgsJson, inputs, logger, timeout.Token);
        using var logScope = logger.BeginScope(new Dictionary<string, object> { ["ScheduleId"] = definition.Key.ToString(), ["Due"] = run.Due, ["Attempt"] = run.Attempt });

        // Task.Run: a handler that blocks synchronously must not stall the dispatcher (see ThreadPoolReserve).
        var running = Task.Run(() => job.RunAsync(context, timeout.Token), CancellationToken.None);
        var deadline = Task.Delay(definition.Policies.Timeout + options.AbandonGrace, clock, CancellationToken.None);
        if (await Task.WhenAny(running, deadline) != running)
        {
            _ = running.ContinueWith(t => t.Exception, TaskScheduler.Default);
            return Outcome(RunStatus.TimedOut, null,
                $"did not finish within TimeoutSeconds={definition.Policies.Timeout.TotalSeconds:0} and ignored cancellation for {options.AbandonGrace.TotalSeconds:0}s more; abandoned (the handler should observe its CancellationToken)");
        }

        try
        {
            await running;
            return Outcome(RunStatus.Succeeded);
        }
        catch (JobSkippedException skipped)
        {
            return Outcome(RunStatus.Skipped, null, skipped.Message);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            return Outcome(RunStatus.TimedOut, ex, $"cancelled after TimeoutSeconds={definition.Policies.Timeout.TotalSeconds:0}");
        }
        catch (OperationCanceledException ex) when (stopping.IsCancellationRequested)
        {
            return Outcome(RunStatus.Failed, ex, "cancelled because the host is shutting down");
        }
        catch (Exception ex)
        {
            return Outcome(RunStatus.Failed, ex);
        }
    }
}
