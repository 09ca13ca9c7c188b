using Scheduler.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Scheduler.Dispatch;
using Scheduler.Hosting;

namespace Scheduler.Functions.Standalone;

/// <summary>
/// The standalone host's stand-in for the timer trigger: calls the same tick driver on the same
/// Scheduler:TickSchedule. Everything after "when to tick" is shared with the Functions host.
/// </summary>
internal sealed class StandaloneTickLoop(TickDriver driver, SchedulerInitializer initializer, IEnumerable<IStandaloneStartup> startups, TimeProvider clock, ILogger<StandaloneTickLoop> logger)
    : BackgroundService
{
    private static readonly TimeSpan OutageBackoffMax = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        DateTimeOffset? failingSince = null;
        var storageDown = false;
        var initialized = false;
        void Recovered()
        {
            if (failingSince is { } since)
            {
                var seconds = (clock.GetUtcNow() - since).TotalSeconds;
                if (storageDown)
                {
                    logger.LogWarning("Storage answers again after {Seconds:F0} s; ticking resumed", seconds);
                }
                else
                {
                    logger.LogWarning("Ticks succeed again after {Seconds:F0} s of failures", seconds);
                }
            }

            backoff = TimeSpan.Zero;
            failingSince = null;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!initialized)
                {
                    await initializer.InitializeAsync(stoppingToken);
                    foreach (var startup in startups)
                    {
                        await startup.RunAsync(stoppingToken);
                    }

                    initialized = true;
                    logger.LogInformation("Standalone scheduler started; ticking on \"{TickSchedule}\". Ctrl+C stops it.", driver.TickSchedule);
                }

                var now = clock.GetUtcNow();
                var next = driver.NextTickAfter(now + backoff);
                await Task.Delay(next - now, clock, stoppingToken);
                // The first tick that succeeds ends the outage, not the invocation's end: an invocation with a
                // backlog can last until the next outage, and backoff must start again from a second then.
                await driver.RunInvocationAsync(driver.NextTickAfter(next), stoppingToken, onTick: _ => Recovered());
                Recovered();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Nothing a tick throws may stop the host: a claimed occurrence stays due (or its lease ends) and the next tick retries.
                failingSince ??= clock.GetUtcNow();
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, OutageBackoffMax.Ticks));
                var storage = StorageFailure.Describe(ex);
                storageDown = storage is not null;
                if (storage is not null)
                {
                    logger.LogError("Storage is not answering ({Problem}); backing off {Backoff}s and retrying", storage, backoff.TotalSeconds);
                }
                else
                {
                    logger.LogError(ex, "A tick failed; backing off {Backoff}s and retrying", backoff.TotalSeconds);
                }
            }
        }

        logger.LogInformation("Standalone scheduler stopped; runs in flight were cancelled, recorded and released");
    }
}

/// <summary>Work the standalone host does once storage answers and the tables exist (the demo's seeding), before the first tick.</summary>
internal interface IStandaloneStartup
{
    Task RunAsync(CancellationToken cancellationToken);
}
