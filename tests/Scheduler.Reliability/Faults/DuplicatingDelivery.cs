using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Storage;

namespace Scheduler.Reliability.Faults;

/// <summary>
/// A queue transport that delivers every message twice, as an at-least-once queue may: each message a host enqueues
/// is sent again, the copy hidden for 0 to 3 s so some duplicates arrive late, after the first delivery has run.
/// Installed in the harness's hosts only (setting <see cref="Setting"/>); the product code is unchanged.
/// </summary>
internal sealed class DuplicatingDelivery : HttpPipelinePolicy
{
    /// <summary>The environment variable that turns it on in a harness host.</summary>
    public const string Setting = "Reliability__DuplicateDeliveries";

    public static void Install(IServiceCollection services) =>
        services.AddSingleton(sp =>
        {
            var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
            options.AddPolicy(new DuplicatingDelivery(), HttpPipelinePosition.PerCall);
            return new QueueServiceClient(sp.GetRequiredService<StorageConnection>().ConnectionString, options);
        });

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        if (message.Request.Method == RequestMethod.Post && message.Request.Uri.Path.EndsWith("/messages", StringComparison.Ordinal) && message.Response.Status == 201)
        {
            message.Request.Uri.AppendQuery("visibilitytimeout", Random.Shared.Next(0, 4).ToString(System.Globalization.CultureInfo.InvariantCulture));
            await ProcessNextAsync(message, pipeline);
        }
    }
}
