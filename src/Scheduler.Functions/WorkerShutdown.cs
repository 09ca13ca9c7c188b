using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Scheduler.Functions;

/// <summary>
/// The worker's side of a graceful stop. The Functions host ends a worker with WorkerTerminate (a few seconds' grace,
/// then a kill), which stops the worker's own host but need not cancel invocations. Functions run their work through
/// <see cref="RunAsync"/>: it is cancelled when the worker stops, and the worker waits for it (runs cancelled, recorded
/// and released) before it exits.
/// </summary>
internal sealed class WorkerShutdown(IHostApplicationLifetime lifetime, ILogger<WorkerShutdown> logger) : IHostedService
{
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public async Task RunAsync(Func<CancellationToken, Task> work, CancellationToken invocation)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(invocation, lifetime.ApplicationStopping);
        var task = work(linked.Token);
        _running[task] = 0;
        try
        {
            await task;
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // Stopping is no failure: what was in flight has been cancelled, recorded and released to run again.
            logger.LogInformation("Stopped with the {Reason}; runs in flight were cancelled, recorded and released", lifetime.ApplicationStopping.IsCancellationRequested ? "worker" : "invocation");
        }
        finally
        {
            _running.TryRemove(task, out _);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits for running invocations (already cancelled by ApplicationStopping) to finish recording, as long as the host allows.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested || _running.IsEmpty)
        {
            // out of time, or an invocation failed: its own logging reports it
        }
        catch (Exception)
        {
            // an invocation ended by throwing; the Functions host reports it
        }
    }
}
