using System.Globalization;
using System.Text.Json;

namespace Scheduler.Schedules;

/// <summary>A definition's columns as a flat JSON object: kept in the state row and the edit history, read back for validation.</summary>
internal static class ColumnSnapshot
{
    /// <summary>Under a Table string property's limit (64 KiB of UTF-16), with room to spare.</summary>
    public const int MaxLength = 30_000;

    private static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly HashSet<string> Known = new(ScheduleColumns.All, StringComparer.Ordinal);

    /// <summary>
    /// The columns the dispatcher reads (others, like a person's notes, are not its business). A valid entry always
    /// fits (Args is limited to 16 KiB); an oversized one is invalid anyway, and is kept with each value shortened so
    /// its state can still record why.
    /// </summary>
    public static string Serialize(IReadOnlyDictionary<string, object?> columns)
    {
        var json = Write(columns, int.MaxValue);
        return json.Length <= MaxLength ? json : Write(columns, 1_000);
    }

    private static string Write(IReadOnlyDictionary<string, object?> columns, int maxString)
    {
        var flat = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in columns.Where(c => Known.Contains(c.Key)))
        {
            flat[name] = value switch
            {
                DateTimeOffset dto => dto.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                DateTime dt => DateTime.SpecifyKind(dt, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture),
                double d when !double.IsFinite(d) => d.ToString(CultureInfo.InvariantCulture), // JSON has no NaN or Infinity
                string text => Sanitize(text.Length <= maxString ? text : text[..maxString] + "…"),
                null or bool or int or long or double => value,
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
        }

        return JsonSerializer.Serialize(flat, Options);
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
