using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Scheduler.Functions.Standalone;

/// <summary>Reads local.settings.json "Values" the way Core Tools does: each becomes a setting ("__" and ":" both nest).</summary>
internal static class LocalSettings
{
    public const string FileName = "local.settings.json";

    /// <summary>The settings a local run sees: these values, under environment variables, under command-line arguments.</summary>
    public static IConfiguration Layered(IDictionary<string, string?> values, string[] args) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).AddEnvironmentVariables().AddCommandLine(args).Build();

    public static Dictionary<string, string?> ReadValues(string path)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
        {
            return values;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (document.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in section.EnumerateObject())
            {
                values[value.Name.Replace("__", ":", StringComparison.Ordinal)] = value.Value.ValueKind == JsonValueKind.String ? value.Value.GetString() : value.Value.GetRawText();
            }
        }

        return values;
    }
}
