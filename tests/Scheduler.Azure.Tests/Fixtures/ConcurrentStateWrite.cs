using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace Scheduler.Storage.Tests.Fixtures;

/// <summary>
/// Fault injection at the transport: once armed, right after the scheduler reads a state row it changes that row
/// out of band (as a run's completion on another instance would), so the scheduler's conditional write meets a 412.
/// </summary>
public sealed class ConcurrentStateWrite(string connectionString) : AsyncPipelinePolicy
{
    private int _armed;

    public int Interferences { get; private set; }

    public void ArmOnce() => Interlocked.Exchange(ref _armed, 1);

    public void Install(IServiceCollection services) =>
        services.AddSingleton(_ =>
        {
            var options = new TableClientOptions();
            options.AddPolicy(this, HttpPipelinePosition.PerCall);
            return new TableServiceClient(connectionString, options);
        });

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        var uri = Uri.UnescapeDataString(message.Request.Uri.ToUri().AbsolutePath);
        if (message.Request.Method == RequestMethod.Get && StateRowRequest.From(uri) is { } read
            && message.Response.Status == 200 && Interlocked.Exchange(ref _armed, 0) == 1)
        {
            var table = new TableClient(connectionString, read.Table);
            await table.UpdateEntityAsync(new TableEntity(read.PartitionKey, read.RowKey) { ["TouchedBy"] = "another instance" }, Azure.ETag.All, TableUpdateMode.Merge);
            Interferences++;
        }
    }
}
