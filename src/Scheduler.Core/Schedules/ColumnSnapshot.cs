using System.Globalization;
using System.Text.Json;

namespace Scheduler.Schedules;

/// <summary>A definition's columns as a flat JSON object: kept in the state row and the edit history, read back for validation.</summary>
public static class ColumnSnapshot
{
    public static string Serialize(IReadOnlyDictionary<string, object?> columns)
    {
        var flat = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in columns)
        {
            flat[name] = value switch
            {
                DateTimeOffset dto => dto.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                DateTime dt => DateTime.SpecifyKind(dt, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture),
                null or string or bool or int or long or double => value,
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
        }

        return JsonSerializer.Serialize(flat);
    }

    public static Dictionary<string, object?> Deserialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        var columns = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            var v = property.Value;
            columns[property.Name] = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number when v.TryGetInt64(out var l) => l,
                JsonValueKind.Number => v.GetDouble(),
                _ => null,
            };
        }

        return columns;
    }
}
