using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;

namespace Scheduler.Storage;

/// <summary>
/// Reads a row's columns without trusting them: anyone with access to the table can write any type into any column,
/// so a column of the wrong type or format reads as missing and is listed in <see cref="Faults"/> instead of throwing.
/// </summary>
internal sealed class RowReader(TableEntity entity)
{
    private readonly List<string> _faults = [];

    public IReadOnlyList<string> Faults => _faults;

    public string? Text(string name)
    {
        switch (Raw(name))
        {
            case null:
                return null;
            case string text:
                return text;
            case var other:
                return Fault<string>(name, $"is {Describe(other)}, not text");
        }
    }

    public long? Long(string name, long min = long.MinValue, long max = long.MaxValue)
    {
        var raw = Raw(name);
        long? value = raw switch
        {
            null => null,
            int i => i,
            long l => l,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
        if (raw is not null && value is null)
        {
            return Fault<long?>(name, $"is {Describe(raw)}, not a whole number");
        }

        return value is { } v && (v < min || v > max) ? Fault<long?>(name, $"is {v}, outside {min}..{max}") : value;
    }

    public int? Int(string name, int min = int.MinValue, int max = int.MaxValue) => (int?)Long(name, min, max);

    /// <summary>An ISO 8601 instant (the scheduler's own format), or a DateTime column a tool wrote.</summary>
    public DateTimeOffset? Instant(string name)
    {
        switch (Raw(name))
        {
            case null:
                return null;
            case DateTimeOffset at:
                return at;
            case string { Length: 0 }:
                return null;
            case string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at):
                return at;
            case var other:
                return Fault<DateTimeOffset?>(name, $"is {Describe(other)}, not an ISO 8601 instant such as 2026-01-31T09:00:00.0000000Z");
        }
    }

    /// <summary>A name of <typeparamref name="T"/> (never a number, which would parse as any value).</summary>
    public T? Named<T>(string name)
        where T : struct, System.Enum
    {
        var text = Text(name);
        if (text is null)
        {
            return null;
        }

        return System.Enum.GetNames<T>().Contains(text, StringComparer.Ordinal)
            ? System.Enum.Parse<T>(text)
            : Fault<T?>(name, $"is {Describe(text)}, not one of {string.Join(", ", System.Enum.GetNames<T>())}");
    }

    /// <summary>A JSON column; <paramref name="convert"/> may throw on content it cannot use (out-of-range ticks, short arrays).</summary>
    public T? Json<TJson, T>(string name, Func<TJson, T> convert)
        where T : class
    {
        var text = Text(name);
        if (text is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<TJson>(text) is { } parsed
                ? convert(parsed)
                : Fault<T>(name, "is JSON null");
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or FormatException or InvalidCastException or IndexOutOfRangeException or NotSupportedException or OverflowException)
        {
            return Fault<T>(name, $"is {Describe(text)}, which does not read as the scheduler wrote it ({ex.Message.Split('\n')[0]})");
        }
    }

    private object? Raw(string name) => entity.TryGetValue(name, out var value) ? value : null;

    private T? Fault<T>(string name, string what)
    {
        _faults.Add($"column {name} {what}");
        return default;
    }

    private static string Describe(object value) => value is string text
        ? (text.Length > 60 ? $"\"{text[..60]}…\"" : $"\"{text}\"")
        : $"{TypeName(value)} {Convert.ToString(value, CultureInfo.InvariantCulture)}";

    private static string TypeName(object value) => value switch
    {
        int or long => "a number",
        double => "a decimal number",
        bool => "a boolean",
        DateTimeOffset or DateTime => "a DateTime",
        Guid => "a GUID",
        byte[] or BinaryData => "binary",
        _ => "of another type",
    };
}
