using Azure;
using Azure.Data.Tables;
using Scheduler.Jobs;

namespace Scheduler.Reliability.Jobs;

/// <summary>
/// Records every execution, optionally fails its first attempts and works for a while, then performs its effect once
/// per occurrence by the idempotency key. The harness compares these rows with the ledger.
/// </summary>
internal sealed class ProbeJob(TableServiceClient tables) : IJob
{
    public sealed class Settings
    {
        public string Table { get; set; } = "Probe";
        public int FailAttempts { get; set; }
        public int WorkMilliseconds { get; set; }

        /// <summary>Which version of its definition the run was started from (the edits scenario bumps it).</summary>
        public int Version { get; set; }
    }

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var settings = context.GetArgs<Settings>();
        var table = tables.GetTableClient(settings.Table);
        var partition = ProbeRows.Partition(context.Schedule);
        await table.AddEntityAsync(new TableEntity(partition, ProbeRows.ExecutionKey(context.Due, context.Attempt))
        {
            ["Process"] = Environment.ProcessId,
            ["StartedAt"] = DateTimeOffset.UtcNow,
            ["Version"] = settings.Version,
        }, cancellationToken);

        if (context.Attempt <= settings.FailAttempts)
        {
            throw new InvalidOperationException($"the probe fails attempt {context.Attempt} of the first {settings.FailAttempts} on purpose");
        }

        if (settings.WorkMilliseconds > 0)
        {
            await Task.Delay(settings.WorkMilliseconds, cancellationToken);
        }

        try
        {
            await table.AddEntityAsync(new TableEntity(partition, ProbeRows.EffectKey(context.Due))
            {
                ["Attempt"] = context.Attempt,
                ["IdempotencyKey"] = context.IdempotencyKey,
            }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Done by an earlier execution that never got to record its result: the key keeps the effect single.
            await table.UpsertEntityAsync(new TableEntity(partition, ProbeRows.ReplayKey(context.Due, context.Attempt)), cancellationToken: cancellationToken);
        }
    }
}
