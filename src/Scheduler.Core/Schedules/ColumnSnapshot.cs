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
            flat[Sanitize(name)] = value switch
            {
                DateTimeOffset dto => dto.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                DateTime dt => DateTime.SpecifyKind(dt, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture),
                double d when !double.IsFinite(d) => d.ToString(CultureInfo.InvariantCulture), // JSON has no NaN or Infinity
                string text => Sanitize(text),
                null or bool or int or long or double => value,
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
        }

        return JsonSerializer.Serialize(flat);
    }

    /// <summary>Replaces broken surrogate pairs, which JSON cannot carry, with U+FFFD.</summary>
    private static string Sanitize(string text)
    {
        if (!text.Any(char.IsSurrogate))
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(text, i++, 2);
            }
            else
            {
                builder.Append(char.IsSurrogate(text[i]) ? '\uFFFD' : text[i]);
            }
        }

        return builder.ToString();
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
