using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace Scheduler.Storage;

/// <summary>
/// The storage account, from one configuration section named like a Functions connection: locally a connection string
/// (<c>SchedulerStorage=UseDevelopmentStorage=true</c>), in Azure service URIs and a managed identity
/// (<c>SchedulerStorage__tableServiceUri</c>, <c>__blobServiceUri</c>, <c>__credential=managedidentity</c>, <c>__clientId</c>).
/// </summary>
public sealed class StorageConnection
{
    public const string DefaultName = "SchedulerStorage";

    private StorageConnection(string? connectionString, Uri? tableUri, Uri? blobUri, Uri? queueUri, TokenCredential? credential)
    {
        ConnectionString = connectionString;
        TableServiceUri = tableUri;
        BlobServiceUri = blobUri;
        QueueServiceUri = queueUri;
        Credential = credential;
    }

    public string? ConnectionString { get; }
    public Uri? TableServiceUri { get; }
    public Uri? BlobServiceUri { get; }
    public Uri? QueueServiceUri { get; }
    public TokenCredential? Credential { get; }

    public static StorageConnection FromConnectionString(string connectionString) => new(connectionString, null, null, null, null);

    /// <summary>An account by its endpoints and an Entra ID credential (no keys).</summary>
    public static StorageConnection FromServiceUris(Uri tableUri, Uri blobUri, Uri? queueUri, TokenCredential credential) =>
        new(null, tableUri, blobUri, queueUri, credential);

    public static StorageConnection FromConfiguration(IConfiguration configuration, string name = DefaultName)
    {
        var section = configuration.GetSection(name);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return FromConnectionString(section.Value);
        }

        var tableUri = section["tableServiceUri"];
        var blobUri = section["blobServiceUri"];
        if (string.IsNullOrWhiteSpace(tableUri) || string.IsNullOrWhiteSpace(blobUri))
        {
            throw new InvalidOperationException(
                $"Storage for the scheduler is not configured: set '{name}' to a connection string (locally: UseDevelopmentStorage=true), " +
                $"or set '{name}__tableServiceUri' and '{name}__blobServiceUri' (with '{name}__credential=managedidentity' and '{name}__clientId' in Azure). " +
                $"Missing: {(string.IsNullOrWhiteSpace(tableUri) ? $"{name}__tableServiceUri " : "")}{(string.IsNullOrWhiteSpace(blobUri) ? $"{name}__blobServiceUri" : "")}".TrimEnd());
        }

        var clientId = section["clientId"];
        TokenCredential credential = string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(string.IsNullOrWhiteSpace(clientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
        var queueUri = section["queueServiceUri"];
        return new StorageConnection(null, new Uri(tableUri), new Uri(blobUri), string.IsNullOrWhiteSpace(queueUri) ? null : new Uri(queueUri), credential);
    }

    /// <param name="after">Policies every request passes after the counter (the benchmark's Azure profile).</param>
    internal TableServiceClient CreateTableService(StorageRequestCounter counter, params HttpPipelinePolicy[] after)
    {
        var options = new TableClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        foreach (var policy in after)
        {
            options.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        }

        return ConnectionString is not null
            ? new TableServiceClient(ConnectionString, options)
            : new TableServiceClient(TableServiceUri!, Credential!, options);
    }

    /// <summary>
    /// Plain-text messages, matching host.json <c>extensions.queues.messageEncoding: none</c>. With base64 a message
    /// that is not base64 fails to decode on the poison queue's listener too, and that listener, having no poison queue
    /// of its own, deletes it unseen; as plain text every message reaches a function that can report it.
    /// </summary>
    internal QueueServiceClient CreateQueueService(StorageRequestCounter counter)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        if (ConnectionString is not null)
        {
            return new QueueServiceClient(ConnectionString, options);
        }

        return QueueServiceUri is not null
            ? new QueueServiceClient(QueueServiceUri, Credential!, options)
            : throw new InvalidOperationException($"Queue dispatch needs '{DefaultName}__queueServiceUri' (or a connection string in '{DefaultName}').");
    }

    internal BlobServiceClient CreateBlobService(StorageRequestCounter counter)
    {
        var options = new BlobClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        return ConnectionString is not null
            ? new BlobServiceClient(ConnectionString, options)
            : new BlobServiceClient(BlobServiceUri!, Credential!, options);
    }
}
