using Sylvan.Data.Csv;

namespace Scheduler.App.Jobs;

/// <summary>A data record of a CSV file: its fields and the line it starts on (1-based, header included).</summary>
public sealed record CsvRecord(int Line, string[] Fields);

/// <summary>A file that cannot be imported, with the line and column that say where.</summary>
public sealed class CsvImportException(string message, Exception? inner = null) : FormatException(message, inner);

/// <summary>
/// Streams a CSV file record by record (Sylvan.Data.Csv: quoted fields, escaped quotes, line breaks inside quotes),
/// never holding more than one record. Checks what Table Storage would refuse later, so a file fails before any row is written.
/// </summary>
public static class CsvRecords
{
    /// <summary>Table Storage holds at most 64 KiB per property (32,768 UTF-16 characters).</summary>
    public const int MaxFieldChars = 32_000;

    /// <summary>Column names Table Storage keeps for itself: a file must not set the keys or the markers' partition.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase) { "PartitionKey", "RowKey", "Timestamp", "ETag" };

    /// <summary>The header's column names as they are written to the table (the first column is the RowKey and is not a column).</summary>
    public static async Task<(string[] Columns, IAsyncEnumerable<CsvRecord> Records)> OpenAsync(TextReader text, char delimiter, bool hasHeader, CancellationToken cancellationToken)
    {
        var options = new CsvDataReaderOptions
        {
            HasHeaders = hasHeader,
            Delimiter = delimiter,
            BufferSize = 0x10000,
            MaxBufferSize = 0x100000, // a record up to 1 Mi characters; a bigger one fails the file with its line
        };
        var reader = await CsvDataReader.CreateAsync(text, options, cancellationToken);
        var width = reader.FieldCount;
        var columns = Enumerable.Range(0, width).Select(i => hasHeader ? reader.GetName(i) : $"Column{i + 1}").ToArray();
        var names = columns.Select(ColumnName).ToArray();
        for (var i = 1; i < width; i++)
        {
            if (Reserved.Contains(names[i]) || columns[i].StartsWith("odata", StringComparison.OrdinalIgnoreCase))
            {
                throw new CsvImportException($"line 1, column {i + 1}: \"{columns[i]}\" is a name Table Storage reserves (PartitionKey, RowKey, Timestamp, ETag, odata.*); the first column is each row's RowKey and the file name its PartitionKey. Rename the column");
            }
        }

        var duplicate = names.Skip(1).GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new CsvImportException($"line 1: column \"{duplicate.Key}\" appears more than once (after replacing characters a table column cannot have); rename one");
        }

        return (names, ReadAsync(reader, width, hasHeader ? 2 : 1, cancellationToken));
    }

    private static async IAsyncEnumerable<CsvRecord> ReadAsync(CsvDataReader reader, int width, int line, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var _ = reader;
        while (true)
        {
            try
            {
                if (!await reader.ReadAsync(cancellationToken))
                {
                    yield break;
                }
            }
            catch (CsvRecordTooLargeException ex)
            {
                throw new CsvImportException($"line {line}: a record is larger than 1,048,576 characters (an unclosed quote?)", ex);
            }
            catch (CsvFormatException ex)
            {
                throw new CsvImportException($"line {line}: {ex.Message}", ex);
            }

            var fields = new string[reader.RowFieldCount];
            if (fields.Length == 1 && reader.GetString(0).Length == 0 && width > 1)
            {
                line++;
                continue; // a blank line
            }

            if (fields.Length != width)
            {
                throw new CsvImportException($"line {line}: expected {width} fields, found {fields.Length}");
            }

            var lines = 1;
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = reader.GetString(i);
                if (fields[i].Length > MaxFieldChars)
                {
                    throw new CsvImportException($"line {line}, column {i + 1}: the field has {fields[i].Length:N0} characters; a table column holds at most {MaxFieldChars:N0}");
                }

                lines += fields[i].AsSpan().Count('\n');
            }

            yield return new CsvRecord(line, fields);
            line += lines;
        }
    }

    /// <summary>A header name as a table column: letters, digits and '_' only, not starting with a digit.</summary>
    private static string ColumnName(string name)
    {
        var cleaned = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return cleaned.Length == 0 || char.IsDigit(cleaned[0]) ? "_" + cleaned : cleaned;
    }
}
