namespace Scheduler.Storage;

/// <summary>A row the scheduler reads that does not parse: which table, which keys, and what is wrong with it.</summary>
internal sealed record RowFault(string Table, string PartitionKey, string RowKey, string Reason)
{
    /// <summary>One line a person can act on; keys are quoted with control characters escaped.</summary>
    public override string ToString() => $"{Table} row (PartitionKey {Quote(PartitionKey)}, RowKey {Quote(RowKey)}): {Reason}";

    /// <summary>Quoted, with control and non-ASCII-printable characters escaped and very long keys cut.</summary>
    public static string Quote(string text)
    {
        var cut = text.Length > 200 ? text[..200] + "…" : text;
        var escaped = string.Concat(cut.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return $"\"{escaped}\"";
    }
}
