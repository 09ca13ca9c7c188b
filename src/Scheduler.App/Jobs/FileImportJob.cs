using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Scheduler.Storage;
using Scheduler.Jobs;

namespace Scheduler.App.Jobs;

/// <summary>
/// The scenario our users come from, done right: every run lists the CSV blobs under the schedule's Input, streams
/// each for that run only (never the whole file in memory), upserts its rows into a table, and moves it to processed/
/// (or failed/, with the line-numbered error in its metadata) with a server-side copy. Idempotent: a marker row per blob version (name and ETag) is written with the import, in a table of its own apart from the data, so a
/// repeated run (crash before the move, retry, duplicate message, a later occurrence) never imports the same file twice.
/// </summary>
public sealed class FileImportJob(TableServiceClient tables, BlobServiceClient blobs, SchedulerTables schedulerTables) : IJob
{
    /// <summary>Partitions of the bookkeeping table (<see cref="Settings.ImportsTable"/>): a marker per imported blob version, the last fingerprint per schedule.</summary>
    public const string MarkerPartition = "file";
    public const string StatePartition = "fingerprint";

    public sealed class Settings
    {
        public string? Table { get; set; }
        public string Delimiter { get; set; } = ",";
        public bool HasHeader { get; set; } = true;
        public bool SkipIfUnchanged { get; set; }

        /// <summary>Where the import keeps its own rows, apart from the data: default the table's name + "Imports".</summary>
        public string? ImportsTable { get; set; }
    }

    /// <summary>Where a file goes once imported or refused: beside the others in its container, never read as an input again.</summary>
    public static readonly string[] OutcomeFolders = ["processed/", "failed/"];

    /// <summary>A batch is sent before it grows past this (the service takes 4 MiB per batch).</summary>
    private const long MaxBatchChars = 1_500_000;

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var settings = context.GetArgs<Settings>();
        if (string.IsNullOrWhiteSpace(settings.Table) || settings.Delimiter.Length != 1)
        {
            throw new FormatException("Args need \"table\" (the table to import into) and a one-character \"delimiter\", e.g. {\"table\":\"Customers\",\"delimiter\":\",\"}");
        }

        schedulerTables.ThrowIfReserved(settings.Table, "table");
        var importsName = settings.ImportsTable ?? settings.Table + "Imports";
        if (importsName.Length > 63)
        {
            throw new FormatException($"the import's own table \"{importsName}\" would be longer than Table Storage's 63 characters; set Args \"importsTable\" to a shorter name");
        }

        if (string.Equals(importsName, settings.Table, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"Args \"importsTable\" is the data table \"{settings.Table}\"; the import keeps its own rows apart from the data, so name another table");
        }

        schedulerTables.ThrowIfReserved(importsName, "importsTable");
        var table = tables.GetTableClient(settings.Table);
        var imports = tables.GetTableClient(importsName);
        await table.CreateIfNotExistsAsync(cancellationToken);
        await imports.CreateIfNotExistsAsync(cancellationToken);

        var inputs = new List<IJobInput>();
        await foreach (var input in context.Inputs.ListAsync(cancellationToken))
        {
            // With Input set to a whole container, the files already moved are listed too: they are outcomes, not inputs.
            if (!OutcomeFolders.Any(folder => input.Name.StartsWith(folder, StringComparison.Ordinal)))
            {
                inputs.Add(input);
            }
        }

        var fingerprint = Fingerprint(inputs);
        if (settings.SkipIfUnchanged && await LastFingerprintAsync(imports, context, cancellationToken) == fingerprint)
        {
            throw new JobSkippedException($"no input under {context.Inputs.Location} changed since the last successful import");
        }

        foreach (var input in inputs)
        {
            await ImportAsync(table, imports, input, settings, context, cancellationToken);
        }

        await imports.UpsertEntityAsync(new TableEntity(StatePartition, context.Schedule.Value.Replace('|', '_')) { ["Fingerprint"] = fingerprint }, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>
    /// One file: checked whole first (a bad line fails the file before any row is written), then streamed into the
    /// table in batches. A file that fails goes to failed/ with the reason in its metadata; the run goes on with the next.
    /// </summary>
    private async Task ImportAsync(TableClient table, TableClient imports, IJobInput input, Settings settings, JobContext context, CancellationToken cancellationToken)
    {
        var marker = new TableEntity(MarkerPartition, Hash($"{input.Container}/{input.Name}@{input.ETag}"));
        if ((await imports.GetEntityIfExistsAsync<TableEntity>(marker.PartitionKey, marker.RowKey, cancellationToken: cancellationToken)).HasValue)
        {
            context.Logger.LogInformation("{Blob} (this version) was already imported; moving it without importing again", input.Name);
            await MoveAsync(input, "processed", null, context.Logger, cancellationToken);
            return;
        }

        var partition = SafeKey(Path.GetFileNameWithoutExtension(input.Name));
        long rows;
        try
        {
            if (partition.Length > 255)
            {
                throw new CsvImportException($"the file name \"{Path.GetFileName(input.Name)}\" becomes the rows' PartitionKey, which must not exceed 255 characters; rename the file");
            }

            rows = await ReadAllAsync(input, settings, (_, _) => Task.CompletedTask, cancellationToken);
            var batch = new Batch(table, partition);
            await ReadAllAsync(input, settings, batch.AddAsync, cancellationToken);
            await batch.FlushAsync(cancellationToken);
        }
        catch (CsvImportException ex)
        {
            await FailAsync(input, ex.Message, context.Logger, cancellationToken);
            return;
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 400 or 413)
        {
            await FailAsync(input, $"Table Storage refused the rows ({ex.ErrorCode}: {ex.Message.Split('\n')[0]}); rows before the refused batch were imported", context.Logger, cancellationToken);
            return;
        }

        marker["Blob"] = input.Name;
        marker["Rows"] = rows;
        marker["IdempotencyKey"] = context.IdempotencyKey;
        await imports.UpsertEntityAsync(marker, TableUpdateMode.Replace, cancellationToken);
        await MoveAsync(input, "processed", null, context.Logger, cancellationToken);
        context.Logger.LogInformation("Imported {Rows} rows from {Blob} into {Table}", rows, input.Name, table.Name);
    }

    private async Task FailAsync(IJobInput input, string reason, ILogger logger, CancellationToken cancellationToken)
    {
        logger.LogWarning("{Blob} was not imported ({Error}); moved to failed/", input.Name, reason);
        await MoveAsync(input, "failed", reason, logger, cancellationToken);
    }

    /// <summary>Streams the file's records to <paramref name="row"/> (the first column as RowKey, the rest as columns); returns how many.</summary>
    private static async Task<long> ReadAllAsync(IJobInput input, Settings settings, Func<CsvRecord, TableEntity, Task> row, CancellationToken cancellationToken)
    {
        await using var stream = await input.OpenReadAsync(cancellationToken);
        using var text = new StreamReader(stream, Encoding.UTF8);
        var (columns, records) = await CsvRecords.OpenAsync(text, settings.Delimiter[0], settings.HasHeader, cancellationToken);
        long count = 0;
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            var key = SafeKey(record.Fields[0]);
            if (key.Length > 255)
            {
                throw new CsvImportException($"line {record.Line}, column 1: the key has {key.Length} characters; a RowKey holds at most 255 here");
            }

            var entity = new TableEntity("", key);
            for (var i = 1; i < columns.Length; i++)
            {
                entity[columns[i]] = record.Fields[i];
            }

            await row(record, entity);
            count++;
        }

        return count;
    }

    /// <summary>Rows of one partition sent 100 at a time (or sooner, under the batch size limit); a key seen again in the batch sends it first, so the later row wins.</summary>
    private sealed class Batch(TableClient table, string partition)
    {
        private readonly List<TableTransactionAction> _actions = [];
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
        private long _chars;

        public async Task AddAsync(CsvRecord record, TableEntity entity)
        {
            entity.PartitionKey = partition;
            var chars = record.Fields.Sum(f => (long)f.Length) + 64 * record.Fields.Length;
            if (_actions.Count == 100 || _chars + chars > MaxBatchChars || !_keys.Add(entity.RowKey))
            {
                await FlushAsync(CancellationToken.None);
                _keys.Add(entity.RowKey);
            }

            _actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
            _chars += chars;
        }

        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (_actions.Count > 0)
            {
                await table.SubmitTransactionAsync(_actions, cancellationToken);
            }

            _actions.Clear();
            _keys.Clear();
            _chars = 0;
        }
    }

    /// <summary>
    /// Moves the blob under processed/ or failed/ (same file name, at the container's root) with a server-side copy of
    /// the version that was read, then deletes the original if it is still that version.
    /// </summary>
    private async Task MoveAsync(IJobInput input, string folder, string? error, ILogger logger, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(input.Container);
        var source = container.GetBlobClient(input.Name);
        var target = container.GetBlobClient($"{folder}/{Path.GetFileName(input.Name)}");
        var metadata = new Dictionary<string, string> { ["source"] = Ascii(input.Name), ["movedat"] = DateTimeOffset.UtcNow.ToString("O") };
        if (error is not null)
        {
            metadata["error"] = Ascii(error.Length > 1024 ? error[..1024] : error);
        }

        var copy = await target.StartCopyFromUriAsync(source.Uri, new BlobCopyFromUriOptions
        {
            Metadata = metadata,
            SourceConditions = new BlobRequestConditions { IfMatch = new ETag(input.ETag) },
        }, cancellationToken);
        await copy.WaitForCompletionAsync(cancellationToken);
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

    private static string Ascii(string text) => new(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
