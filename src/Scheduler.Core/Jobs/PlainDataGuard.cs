using System.Collections;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Scheduler.Jobs;

/// <summary>
/// Rejects job Args that are not plain data. A persistent store can only keep data; a stream, file handle, delegate or
/// connection held in Args is exactly what breaks schedulers that pickle jobs ("cannot pickle '_io.TextIOWrapper'").
/// </summary>
internal static class PlainDataGuard
{
    private const int MaxDepth = 32;

    public static void EnsurePlainData(object? args)
    {
        if (FindLiveMember(args, "Args", 0, new HashSet<object>(ReferenceEqualityComparer.Instance)) is { } problem)
        {
            throw new ArgumentException(problem, nameof(args));
        }
    }

    private static string? FindLiveMember(object? value, string path, int depth, HashSet<object> seen)
    {
        if (value is null || IsScalar(value.GetType()))
        {
            return null;
        }

        if (LiveKind(value) is { } kind)
        {
            return $"{path} is {kind} ({value.GetType().Name}), a live object that cannot be stored with a schedule. " +
                   "Jobs are a name plus data: put a blob path in Args (e.g. \"imports/incoming/data.csv\" or an Input of container/prefix) and open it in the job with context.Inputs.";
        }

        if (depth >= MaxDepth || !seen.Add(value))
        {
            return depth >= MaxDepth ? $"{path} nests deeper than {MaxDepth} levels; Args must be plain data" : null;
        }

        if (value is IDictionary dictionary)
        {
            foreach (DictionaryEntry entry in dictionary)
            {
                if (FindLiveMember(entry.Value, $"{path}[{entry.Key}]", depth + 1, seen) is { } p)
                {
                    return p;
                }
            }

            return null;
        }

        if (value is IEnumerable sequence && value is not System.Text.Json.Nodes.JsonNode)
        {
            var index = 0;
            foreach (var item in sequence)
            {
                if (FindLiveMember(item, $"{path}[{index++}]", depth + 1, seen) is { } p)
                {
                    return p;
                }
            }

            return null;
        }

        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || !property.CanRead)
            {
                continue;
            }

            if (LiveType(property.PropertyType) is { } declared)
            {
                return $"{path}.{property.Name} is declared as {declared} ({property.PropertyType.Name}), a live object that cannot be stored with a schedule. " +
                       "Jobs are a name plus data: put a blob path in Args and open it in the job with context.Inputs.";
            }

            if (FindLiveMember(property.GetValue(value), $"{path}.{property.Name}", depth + 1, seen) is { } p)
            {
                return p;
            }
        }

        return null;
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime) ||
        type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid) || type == typeof(DateOnly) ||
        type == typeof(TimeOnly) || type == typeof(Uri) || type == typeof(System.Text.Json.JsonElement) ||
        (Nullable.GetUnderlyingType(type) is { } inner && IsScalar(inner));

    private static string? LiveKind(object value) => LiveType(value.GetType());

    private static string? LiveType(Type type) => type switch
    {
        _ when typeof(Stream).IsAssignableFrom(type) => "a stream",
        _ when typeof(TextReader).IsAssignableFrom(type) || typeof(TextWriter).IsAssignableFrom(type) => "an open reader or writer",
        _ when typeof(Delegate).IsAssignableFrom(type) => "a delegate",
        _ when typeof(SafeHandle).IsAssignableFrom(type) || type == typeof(IntPtr) || type == typeof(UIntPtr) => "a handle",
        _ when typeof(System.Data.IDbConnection).IsAssignableFrom(type) => "a connection",
        _ when typeof(Task).IsAssignableFrom(type) || type == typeof(CancellationToken) || typeof(Thread).IsAssignableFrom(type) => "a task, thread or token",
        _ when typeof(System.Net.Sockets.Socket).IsAssignableFrom(type) || typeof(System.Net.Http.HttpClient).IsAssignableFrom(type) => "a network client",
        _ when typeof(IDisposable).IsAssignableFrom(type) || typeof(IAsyncDisposable).IsAssignableFrom(type) => "a disposable resource",
        _ => null,
    };
}
