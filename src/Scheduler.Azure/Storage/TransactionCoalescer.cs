using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;

namespace Scheduler.Storage;

/// <summary>
/// What one part of a shared transaction came to: the responses to its actions, in order, or why it did not commit;
/// <paramref name="OwnFailure"/> when the service named one of this part's actions (a 412 on its state, say), false
/// when the whole transaction failed (throttled, unreachable: whether it committed is then unknown).
/// </summary>
internal sealed record PartOutcome(IReadOnlyList<Response>? Responses, RequestFailedException? Failure, bool OwnFailure = false)
{
    public bool Committed => Failure is null;
}

/// <summary>
/// Group commit for one table. A part is one schedule's actions, all in one partition; parts of a partition submitted
/// while a transaction of that partition is in flight wait and go together in the next, up to the service's 100 actions
/// (and well under its 4 MiB). A part whose action fails the transaction (the service names the action) is answered with
/// that failure and the rest are submitted again without it, so one schedule's conflict never fails another's write. A
/// failure that names no action (the service unreachable or throttled after the client's retries; status 0 when no
/// answer came at all) answers every part of that transaction; whether it committed is then unknown, as for any single
/// write, and the callers' claims are covered by their leases. Parts are always answered, never thrown at. Never
/// cancelled: a run's result must not be lost to a shutdown.
/// </summary>
internal sealed class TransactionCoalescer(Func<TableClient> table)
{
    public const int MaxActions = 100;
    private const long MaxBytes = 2L * 1024 * 1024;
    /// <summary>Failures a transaction's parts are resubmitted after; beyond it, the rest are answered with the last (a partition contended this much is the one-schedule path's to sort out).</summary>
    private const int MaxResubmits = 8;

    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);

    public async Task<PartOutcome> SubmitAsync(IReadOnlyList<TableTransactionAction> part) => (await SubmitAllAsync([part]))[0];

    /// <summary>Submits every part at once (they share transactions as far as they can) and waits for each one's outcome.</summary>
    public Task<PartOutcome[]> SubmitAllAsync(IReadOnlyList<IReadOnlyList<TableTransactionAction>> parts)
    {
        var waiting = parts.Select(p => new Waiting(p)).ToList();
        foreach (var group in waiting.GroupBy(w => w.Partition))
        {
            var partition = _partitions.GetOrAdd(group.Key, _ => new Partition());
            bool start;
            lock (partition)
            {
                partition.Queue.AddRange(group);
                start = !partition.Flushing;
                partition.Flushing = true;
            }

            if (start)
            {
                // On the pool: parts submitted while this one is scheduled still join its first transaction.
                _ = Task.Run(() => FlushAsync(partition));
            }
        }

        return Task.WhenAll(waiting.Select(w => w.Outcome.Task));
    }

    private async Task FlushAsync(Partition partition)
    {
        while (true)
        {
            List<Waiting> batch;
            lock (partition)
            {
                if (partition.Queue.Count == 0)
                {
                    partition.Flushing = false;
                    return;
                }

                batch = Take(partition.Queue);
            }

            await SubmitAsync(batch);
        }
    }

    /// <summary>The oldest parts that fit one transaction; a part that touches a row already in it waits for the next.</summary>
    private static List<Waiting> Take(List<Waiting> queue)
    {
        var batch = new List<Waiting>();
        var rows = new HashSet<string>(StringComparer.Ordinal);
        int actions = 0;
        long bytes = 0;
        foreach (var part in queue)
        {
            if (batch.Count > 0 && (actions + part.Actions.Count > MaxActions || bytes + part.Bytes > MaxBytes))
            {
                break;
            }

            if (part.Actions.Any(a => rows.Contains(a.Entity.RowKey)))
            {
                continue;
            }

            batch.Add(part);
            actions += part.Actions.Count;
            bytes += part.Bytes;
            rows.UnionWith(part.Actions.Select(a => a.Entity.RowKey));
        }

        queue.RemoveAll(batch.Contains);
        return batch;
    }

    private async Task SubmitAsync(List<Waiting> batch)
    {
        var live = batch.ToList();
        try
        {
            for (var attempt = 0; live.Count > 0; attempt++)
            {
                var actions = live.SelectMany(p => p.Actions).ToList();
                try
                {
                    var responses = await table().SubmitTransactionAsync(actions, CancellationToken.None);
                    var at = 0;
                    foreach (var part in live)
                    {
                        part.Outcome.TrySetResult(new PartOutcome([.. responses.Value.Skip(at).Take(part.Actions.Count)], null));
                        at += part.Actions.Count;
                    }

                    return;
                }
                catch (TableTransactionFailedException ex) when (ex.FailedTransactionActionIndex is int failed && failed >= 0 && failed < actions.Count && attempt < MaxResubmits)
                {
                    var failing = PartOf(live, failed);
                    failing.Outcome.TrySetResult(new PartOutcome(null, ex, OwnFailure: true));
                    live.Remove(failing);
                }
                catch (RequestFailedException ex)
                {
                    foreach (var part in live)
                    {
                        part.Outcome.TrySetResult(new PartOutcome(null, ex));
                    }

                    return;
                }
            }
        }
        catch (Exception ex)
        {
            // No answer after the client's retries (connection refused or reset, timed out: an AggregateException of
            // the attempts): as unknown as a throttled transaction, and answered as one, so every caller reads an outcome.
            var failure = new RequestFailedException(0, $"The transaction got no answer: {ex.Message}", ex);
            foreach (var part in live)
            {
                part.Outcome.TrySetResult(new PartOutcome(null, failure));
            }
        }
    }

    private static Waiting PartOf(List<Waiting> live, int action)
    {
        foreach (var part in live)
        {
            if (action < part.Actions.Count)
            {
                return part;
            }

            action -= part.Actions.Count;
        }

        throw new ArgumentOutOfRangeException(nameof(action));
    }

    private sealed class Partition
    {
        public List<Waiting> Queue { get; } = [];

        public bool Flushing { get; set; }
    }

    private sealed class Waiting(IReadOnlyList<TableTransactionAction> actions)
    {
        public IReadOnlyList<TableTransactionAction> Actions { get; } = actions;

        public string Partition { get; } = actions[0].Entity.PartitionKey;

        /// <summary>About what the part adds to a transaction's body (strings as UTF-16, the rest a fixed allowance).</summary>
        public long Bytes { get; } = actions.Sum(a => 256L + (a.Entity is TableEntity e ? e.Sum(p => (long)p.Key.Length * 2 + (p.Value is string s ? s.Length * 2L : 32)) : 1024));

        public TaskCompletionSource<PartOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
