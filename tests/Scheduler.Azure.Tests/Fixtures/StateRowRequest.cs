namespace Scheduler.Storage.Tests.Fixtures;

/// <summary>A request addressed to one state row (either layout), as a pipeline policy sees its unescaped path.</summary>
internal sealed record StateRowRequest(string Table, string PartitionKey, string RowKey)
{
    public static StateRowRequest? From(string path)
    {
        if (!path.Contains("RowKey='state'", StringComparison.Ordinal) && !path.Contains("RowKey='state|", StringComparison.Ordinal))
        {
            return null;
        }

        var open = path.IndexOf('(', StringComparison.Ordinal);
        return new(path[(path.LastIndexOf('/', open) + 1)..open], Quoted(path, "PartitionKey='"), Quoted(path, "RowKey='"));
    }

    /// <summary>A batch's query for due states (layout 3) whose range is one state row: that row.</summary>
    public static StateRowRequest? FromDueStatesQuery(Uri uri)
    {
        var query = Uri.UnescapeDataString(uri.Query).Replace('+', ' ');
        if (!query.Contains("RowKey ge 'state|", StringComparison.Ordinal) || !query.Contains("WakeAt le", StringComparison.Ordinal)
            || Quoted(query, "RowKey ge '") != Quoted(query, "RowKey le '"))
        {
            return null;
        }

        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        var table = path[(path.LastIndexOf('/') + 1)..].TrimEnd('(', ')');
        return new(table, Quoted(query, "PartitionKey eq '"), Quoted(query, "RowKey ge '"));
    }

    private static string Quoted(string path, string name)
    {
        var value = path[(path.IndexOf(name, StringComparison.Ordinal) + name.Length)..];
        return value[..value.IndexOf('\'', StringComparison.Ordinal)];
    }
}
