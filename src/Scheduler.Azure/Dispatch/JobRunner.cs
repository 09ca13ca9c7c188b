using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scheduler.Hosting;
using Scheduler.Jobs;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Dispatch;

/// <summary>A run's outcome and, when the handler was abandoned (it ignored cancellation), the handler still running.</summary>
internal sealed record RunResult(RunOutcome Outcome, Task? StillRunning = null);

/// <summary>
/// Runs one claimed occurrence: a fresh DI scope, the handler resolved by job name, inputs opened lazily, the timeout
/// enforced. Every way a run can end becomes a <see cref="RunOutcome"/>, disposal of its scope and inputs included;
/// nothing escapes to the dispatcher.
/// </summary>
internal sealed class JobRunner(
    IServiceScopeFactory scopes,
    BlobServiceClient blobs,
    SchedulerOptions options,
    TimeProvider clock,
    ILoggerFactory loggers)
{
    /// <param name="parent">The claim's trace context when the run is not under it already (Queue mode); default: the current span.</param>
    public async Task<RunResult> RunAsync(ScheduleDefinition definition, ClaimedRun run, CancellationToken stopping, System.Diagnostics.ActivityContext parent = default)
    {
        using var span = Telemetry.SchedulerTelemetry.Source.StartActivity("scheduler.run", System.Diagnostics.ActivityKind.Internal, parent);
        span?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Schedule, definition.Key.Value);
        span?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Job, definition.Job);
        span?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Due, run.Due.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        span?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Attempt, run.Attempt);
        span?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Instance, options.InstanceId);
        var result = await RunInSpanAsync(definition, run, stopping);
        span?.SetTag(Telemetry.SchedulerTelemetry.Attributes.Outcome, Telemetry.SchedulerTelemetry.OutcomeValue(result.Outcome.Status));
        if (result.Outcome.Status is Scheduler.Runs.RunStatus.Failed or Scheduler.Runs.RunStatus.TimedOut)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, result.Outcome.ErrorMessage);
        }

        return result;
    }

    private async Task<RunResult> RunInSpanAsync(ScheduleDefinition definition, ClaimedRun run, CancellationToken stopping)
    {
        var started = clock.GetUtcNow();
        var logger = loggers.CreateLogger($"Scheduler.Jobs.{definition.Job}");
        var inputs = new BlobJobInputs(blobs, definition.Input, definition.Key, logger);
        var scope = scopes.CreateAsyncScope();
        RunResult result;
        try
        {
            result = await RunHandlerAsync(definition, run, scope, inputs, logger, started, stopping);
        }
        catch (Exception ex)
        {
            result = new RunResult(Outcome(RunStatus.Failed, started, inputs, stopping, ex));
        }

        if (result.StillRunning is not null)
        {
            // The abandoned handler may still use its scope and streams: they go when it ends.
            _ = result.StillRunning.ContinueWith(_ => DisposeAsync(scope, inputs), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            return result;
        }

        if (await DisposeAsync(scope, inputs) is { } disposalError && result.Outcome.Status != RunStatus.Failed)
        {
            var message = $"the run ended {result.Outcome.Status}, but disposing what it opened failed: {disposalError.GetType().Name}: {disposalError.Message}";
            return new RunResult(Outcome(RunStatus.Failed, started, inputs, stopping, disposalError, message));
        }

        return result;
    }

    private async Task<RunResult> RunHandlerAsync(
        ScheduleDefinition definition, ClaimedRun run, AsyncServiceScope scope, BlobJobInputs inputs, ILogger logger, DateTimeOffset started, CancellationToken stopping)
    {
        var job = scope.ServiceProvider.GetKeyedService<IJob>(definition.Job);
        if (job is null)
        {
            var message = $"no handler is registered for job \"{definition.Job}\" in this app; register it with AddJob<T>(\"{definition.Job}\")";
            return new RunResult(Outcome(RunStatus.Failed, started, inputs, stopping, message: message));
        }

        using var deadline = new CancellationTokenSource(definition.Policies.Timeout, clock);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
        var context = new JobContext(definition.Key, definition.Job, run.Due, run.Attempt, definition.ArgsJson, inputs, logger);
        using var logScope = logger.BeginScope(new Dictionary<string, object> { ["ScheduleId"] = definition.Key.ToString(), ["Due"] = run.Due, ["Attempt"] = run.Attempt });

        // Task.Run: a handler that blocks synchronously must not stall the dispatcher (see ThreadPoolReserve).
        var running = Task.Run(() => job.RunAsync(context, timeout.Token), CancellationToken.None);
        try
        {
            await running.WaitAsync(definition.Policies.Timeout + options.AbandonGrace, clock, CancellationToken.None);
            return new RunResult(Outcome(RunStatus.Succeeded, started, inputs, stopping));
        }
        catch (TimeoutException) when (!running.IsCompleted)
        {
            var message = $"did not finish within TimeoutSeconds={definition.Policies.Timeout.TotalSeconds:0} and ignored cancellation for " +
                          $"{options.AbandonGrace.TotalSeconds:0}s more; abandoned (the handler should observe its CancellationToken). " +
                          "It keeps its place against the schedule's concurrency until it really ends";
            return new RunResult(Outcome(RunStatus.TimedOut, started, inputs, stopping, message: message) with { Abandoned = true }, running);
        }
        catch (JobSkippedException skipped)
        {
            return new RunResult(Outcome(RunStatus.Skipped, started, inputs, stopping, message: skipped.Message));
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            return new RunResult(Outcome(RunStatus.TimedOut, started, inputs, stopping, ex, $"cancelled after TimeoutSeconds={definition.Policies.Timeout.TotalSeconds:0}"));
        }
        catch (OperationCanceledException ex) when (stopping.IsCancellationRequested)
        {
            return new RunResult(Outcome(RunStatus.Failed, started, inputs, stopping, ex, "cancelled because the host is shutting down"));
        }
        catch (Exception ex)
        {
            return new RunResult(Outcome(RunStatus.Failed, started, inputs, stopping, ex));
        }
    }

    private RunOutcome Outcome(RunStatus status, DateTimeOffset started, BlobJobInputs inputs, CancellationToken stopping, Exception? error = null, string? message = null) =>
        new(status, started, clock.GetUtcNow(), error?.GetType().Name, message ?? error?.Message, new Dictionary<string, string>(inputs.Read),
            status == RunStatus.Skipped ? message : null, Interrupted: stopping.IsCancellationRequested && status != RunStatus.Succeeded);

    /// <summary>Disposes the run's scope and inputs; returns what failed instead of throwing.</summary>
    private static async Task<Exception?> DisposeAsync(AsyncServiceScope scope, BlobJobInputs inputs)
    {
        Exception? failure = null;
        try
        {
            await inputs.DisposeAsync();
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        try
        {
            await scope.DisposeAsync();
        }
        catch (Exception ex)
        {
            failure ??= ex;
        }

        return failure;
    }
}
