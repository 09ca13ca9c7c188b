using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Functions.Functions;

namespace Scheduler.Functions.Standalone;

/// <summary>
/// The standalone host's stand-in for the queue triggers in Queue dispatch: takes occurrence messages (RunOccurrence)
/// and poison messages (RecordPoisonOccurrence) and hands them to the same executor, with the host's semantics: a
/// message stays invisible while it is handled, is deleted once handled, is retried when handling throws, and goes
/// to the poison queue after <see cref="RecordPoisonOccurrence.MaxDequeueCount"/> deliveries.
/// </summary>
internal sealed class StandaloneQueueRunner(OccurrenceQueue queue, OccurrenceExecutor executor, SchedulerOptions options, ILogger<StandaloneQueueRunner> logger)
    : BackgroundService
{
    private const int BatchSize = 16;
    private const int NewBatchThreshold = 8;
    private static readonly TimeSpan Invisible = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxIdlePause = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Dispatch != DispatchMode.Queue
            ? Task.CompletedTask
            : Task.WhenAll(
                DrainAsync(queue.Client, (m, ct) => executor.ExecuteAllAsync(OccurrenceMessage.ParseAll(m.MessageText), ct), stoppingToken),
                DrainAsync(queue.Poison, (m, _) => executor.RecordPoisonAsync(m.MessageText, m.DequeueCount), stoppingToken));

    /// <summary>Keeps up to <see cref="BatchSize"/> messages in hand and fetches more once fewer than <see cref="NewBatchThreshold"/> are (host.json's batchSize and newBatchThreshold).</summary>
    private async Task DrainAsync(QueueClient client, Func<QueueMessage, CancellationToken, Task> handle, CancellationToken stopping)
    {
        var running = new List<Task>();
        var pause = TimeSpan.FromMilliseconds(50);
        while (!stopping.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count >= NewBatchThreshold)
            {
                await Task.WhenAny(running);
                continue;
            }

            try
            {
                var batch = (await client.ReceiveMessagesAsync(BatchSize - running.Count, Invisible, stopping)).Value;
                running.AddRange(batch.Select(message => HandleAsync(client, message, handle, stopping)));
                if (batch.Length > 0)
                {
                    pause = TimeSpan.FromMilliseconds(50);
                    continue;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Azure.RequestFailedException ex) when (ex.Status == 404)
            {
                // not created yet: start-up creates it (SchedulerInitializer)
            }
            catch (Exception ex)
            {
                logger.LogError("Reading queue {Queue} failed ({Problem}); retrying", client.Name, StorageFailure.Describe(ex) ?? ex.Message);
            }

            await Task.WhenAny([Task.Delay(pause, stopping), .. running]).ContinueWith(_ => { }, TaskScheduler.Default);
            pause = pause * 2 < MaxIdlePause ? pause * 2 : MaxIdlePause;
        }

        await Task.WhenAll(running);
    }

    private async Task HandleAsync(QueueClient client, QueueMessage message, Func<QueueMessage, CancellationToken, Task> handle, CancellationToken stopping)
    {
        using var handled = new CancellationTokenSource();
        var receipt = message.PopReceipt;
        var keepInvisible = KeepInvisibleAsync(client, message, r => receipt = r, handled.Token);
        try
        {
            await handle(message, stopping);
            await handled.CancelAsync();
            await keepInvisible;
            await client.DeleteMessageAsync(message.MessageId, receipt, CancellationToken.None);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested || ex is not OperationCanceledException)
        {
            await handled.CancelAsync();
            await keepInvisible;
            await FailAsync(client, message, receipt, ex);
        }
        catch (OperationCanceledException)
        {
            await handled.CancelAsync(); // stopping: the message shows again after its invisibility and is handled then
        }
    }

    private async Task FailAsync(QueueClient client, QueueMessage message, string receipt, Exception error)
    {
        try
        {
            if (client.Name == queue.Client.Name && message.DequeueCount >= RecordPoisonOccurrence.MaxDequeueCount)
            {
                await queue.Poison.SendMessageAsync(message.MessageText);
                await client.DeleteMessageAsync(message.MessageId, receipt);
                logger.LogWarning("Message {MessageId} failed {Count} deliveries ({Error}); moved to {Poison}", message.MessageId, message.DequeueCount, error.Message, queue.Poison.Name);
            }
            else
            {
                await client.UpdateMessageAsync(message.MessageId, receipt, visibilityTimeout: TimeSpan.Zero);
                logger.LogWarning("Message {MessageId} failed delivery {Count} ({Error}); it is retried", message.MessageId, message.DequeueCount, error.Message);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning("Could not settle failed message {MessageId} ({Problem}); it shows again after its invisibility", message.MessageId, ex.Message);
        }
    }

    /// <summary>Extends the message's invisibility while it is handled, as the Functions host does for a long function.</summary>
    private static async Task KeepInvisibleAsync(QueueClient client, QueueMessage message, Action<string> receiptChanged, CancellationToken handled)
    {
        var receipt = message.PopReceipt;
        while (!handled.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Invisible / 2, handled);
                var update = await client.UpdateMessageAsync(message.MessageId, receipt, visibilityTimeout: Invisible, cancellationToken: handled);
                receipt = update.Value.PopReceipt;
                receiptChanged(receipt);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception)
            {
                return; // the message shows again and a duplicate delivery runs nothing: the claim decides
            }
        }
    }
}
