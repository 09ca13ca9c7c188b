using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Scheduler.Jobs;

namespace Scheduler.Functions.Jobs;

/// <summary>
/// The scenario our users come from, done right: every run lists the CSV blobs under the schedule's Input, opens each
/// for that run only, upserts its rows into a table, and moves it to processed/ (or failed/, with the line-numbered
/// error in its metadata). Idempotent: a marker row per blob version (name and ETag) is written with the import, so a
/// repeated run (crash before the move, retry, duplicate message, a later occurrence) never imports the same file twice.
/// </summary>
public sealed class FileImportJob(TableServiceClient tables, BlobServiceClient blobs) : IJob
{
    public const string MarkerPartition = "_imports";
    public const string StatePartition = "_state";

    public sealed class Settings
    {
        public string? Table { get; set; }
        public string Delimiter { get; set; } = ",";
        public bool HasHeader { get; set; } = true;
        public bool SkipIfUnchanged { get; set; }
    }

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var settings = context.GetArgs<Settings>();
        if (string.IsNullOrWhiteSpace(settings.Table) || settings.Delimiter.Length != 1)
        {
            throw new FormatException("Args need \"table\" (the table to import into) and a one-character \"delimiter\", e.g. {\"table\":\"Customers\",\"delimiter\":\",\"}");
        }

        var table = tables.GetTableClient(settings.Table);
        await table.CreateIfNotExistsAsync(cancellationToken);

        var inputs = new List<IJobInput>();
        await foreach (var input in context.Inputs.ListAsync(cancellationToken))
        {
            inputs.Add(input);
        }

        var fingerprint = Fingerprint(inputs);
        if (settings.SkipIfUnchanged && await LastFingerprintAsync(table, context, cancellationToken) == fingerprint)
        {
            throw new JobSkippedException($"no input under {context.Inputs.Location} changed since the last successful import");
        }

        foreach (var input in inputs)
        {
            await ImportAsync(table, input, settings, context, cancellationToken);
        }

        await table.UpsertEntityAsync(new TableEntity(StatePartition, context.Schedule.Value.Replace('|', '_')) { ["Fingerprint"] = fingerprint }, TableUpdateMode.Replace, cancellationToken);
    }

    private async Task ImportAsync(TableClient table, IJobInput input, Settings settings, JobContext context, CancellationToken cancellationToken)
    {
        var marker = new TableEntity(MarkerPartition, Hash($"{input.Container}/{input.Name}@{input.ETag}"));
        if ((await table.GetEntityIfExistsAsync<TableEntity>(marker.PartitionKey, marker.RowKey, cancellationToken: cancellationToken)).HasValue)
        {
            context.Logger.LogInformation("{Blob} (this version) was already imported; moving it without importing again", input.Name);
            await MoveAsync(input, "processed", null, context.Logger, cancellationToken);
            return;
        }

        string text;
        await using (var stream = await input.OpenReadAsync(cancellationToken))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            text = await reader.ReadToEndAsync(cancellationToken);
        }

        CsvParser.Result csv;
        try
        {
            csv = CsvParser.Parse(text, settings.Delimiter[0], settings.HasHeader);
        }
        catch (FormatException ex)
        {
            context.Logger.LogWarning("{Blob} is malformed ({Error}); moved to failed/", input.Name, ex.Message);
            await MoveAsync(input, "failed", ex.Message, context.Logger, cancellationToken);
            return;
        }

        var partition = Path.GetFileNameWithoutExtension(input.Name);
        var entities = csv.Rows.Select(row =>
        {
            var entity = new TableEntity(partition, SafeKey(row[0]));
            for (var i = 1; i < csv.Header.Count; i++)
            {
                entity[SafeColumn(csv.Header[i])] = row[i];
            }

            return entity;
        });
        foreach (var chunk in entities.Chunk(100))
        {
            await table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);
        }

        marker["Blob"] = input.Name;
        marker["Rows"] = csv.Rows.Count;
        marker["IdempotencyKey"] = context.IdempotencyKey;
        await table.UpsertEntityAsync(marker, TableUpdateMode.Replace, cancellationToken);
        await MoveAsync(input, "processed", null, context.Logger, cancellationToken);
        context.Logger.LogInformation("Imported {Rows} rows from {Blob} into {Table}", csv.Rows.Count, input.Name, table.Name);
    }

    /// <summary>Copies the blob's bytes under processed/ or failed/ (same name below the Input prefix) and deletes the original if it is unchanged.</summary>
    private async Task MoveAsync(IJobInput input, string folder, string? error, ILogger logger, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(input.Container);
        var source = container.GetBlobClient(input.Name);
        var target = container.GetBlobClient($"{folder}/{Path.GetFileName(input.Name)}");
        var content = await source.DownloadContentAsync(cancellationToken);
        var metadata = new Dictionary<string, string> { ["source"] = Ascii(input.Name), ["movedat"] = DateTimeOffset.UtcNow.ToString("O") };
        if (error is not null)
        {
            metadata["error"] = Ascii(error);
        }

        await target.UploadAsync(content.Value.Content, new BlobUploadOptions { Metadata = metadata }, cancellationToken);
        try
        {
            await source.DeleteAsync(conditions: new BlobRequestConditions { IfMatch = new ETag(input.ETag) }, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // 412: a newer version was uploaded meanwhile and is left for the next run; 404: another attempt moved it.
            logger.LogInformation("Left {Blob} in place after copying it to {Folder}/: {Reason}", input.Name, folder, ex.Status == 412 ? "it changed meanwhile" : "it was already moved");
        }
    }

    private static async Task<string?> LastFingerprintAsync(TableClient table, JobContext context, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(StatePartition, context.Schedule.Value.Replace('|', '_'), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value!.GetString("Fingerprint") : null;
    }

    private static string Fingerprint(IEnumerable<IJobInput> inputs) =>
        Hash(string.Join("\n", inputs.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => $"{i.Name}@{i.ETag}")));

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];

    private static string SafeKey(string value) =>
        new(value.Select(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c) ? '_' : c).ToArray());

    private static string SafeColumn(string name)
    {
        var cleaned = new string(name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
        return cleaned.Length == 0 || char.IsDigit(cleaned[0]) ? "_" + cleaned : cleaned;
    }

    private static string Ascii(string text) => new(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
