namespace Scheduler.Functions.Jobs;

/// <summary>A CSV line with quoted fields ("a ""b""", commas inside quotes); every row must have the header's width.</summary>
public static class CsvParser
{
    public sealed record Result(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows);

    /// <exception cref="FormatException">With the 1-based line number of the first bad line.</exception>
    public static Result Parse(string text, char delimiter, bool hasHeader)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var rows = new List<IReadOnlyList<string>>();
        IReadOnlyList<string>? header = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            var fields = SplitLine(lines[i], delimiter, i + 1);
            if (header is null)
            {
                header = hasHeader ? fields : Enumerable.Range(1, fields.Count).Select(n => $"Column{n}").ToList();
                if (hasHeader)
                {
                    continue;
                }
            }

            if (fields.Count != header.Count)
            {
                throw new FormatException($"line {i + 1}: expected {header.Count} fields, found {fields.Count}");
            }

            rows.Add(fields);
        }

        return new Result(header ?? [], rows);
    }

    private static List<string> SplitLine(string line, char delimiter, int lineNumber)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == delimiter)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            throw new FormatException($"line {lineNumber}: a quoted field is not closed");
        }

        fields.Add(field.ToString());
        return fields;
    }
}
