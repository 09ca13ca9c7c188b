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

    private static string Quoted(string path, string name)
    {
        var value = path[(path.IndexOf(name, StringComparison.Ordinal) + name.Length)..];
        return value[..value.IndexOf('\'', StringComparison.Ordinal)];
    }
}
