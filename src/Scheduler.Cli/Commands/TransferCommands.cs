using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scheduler.Storage;
using Scheduler.Schedules;

namespace Scheduler.Cli.Commands;

/// <summary>
/// `scheduler export FILE` / `scheduler import FILE`. Column types survive the round trip: strings, booleans and
/// 32-bit integers are plain JSON; other types are tagged ({"Int64": "5"}, {"Double": 1.5}, {"DateTime": "..."}).
/// </summary>
internal static class TransferCommands
{
    public static Command Export(CommandContext context)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "Where to write the JSON" };
        var command = new Command("export", "Write every schedule to a JSON file; `import` reads it back exactly.\n\nExample: scheduler export schedules.json") { file };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var schedules = new JsonArray();
            var entities = new List<Azure.Data.Tables.TableEntity>();
            await foreach (var entity in session.Definitions.ScanAsync(ct))
            {
                entities.Add(entity);
            }

            foreach (var entity in entities.OrderBy(e => e.PartitionKey, StringComparer.Ordinal).ThenBy(e => e.RowKey, StringComparer.Ordinal))
            {
                var columns = new JsonObject();
                foreach (var (name, value) in DefinitionStore.ColumnsOf(entity).OrderBy(c => c.Key, StringComparer.Ordinal))
                {
                    columns[name] = ToJson(value);
                }

                schedules.Add(new JsonObject { ["group"] = entity.PartitionKey, ["id"] = entity.RowKey, ["columns"] = columns });
            }

            var path = parse.GetValue(file)!.FullName;
            await File.WriteAllTextAsync(path, new JsonObject { ["schedules"] = schedules }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", ct);
            output.Line($"exported {schedules.Count} schedule{(schedules.Count == 1 ? "" : "s")} to {path}");
            return 0;
        }));
        return command;
    }

    public static Command Import(CommandContext context)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A file written by `scheduler export`" };
        var command = new Command("import", "Write the schedules of an exported file. Everything is validated first; if any entry is refused, nothing is written.\n\nExample: scheduler import schedules.json") { file };
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                throw new CliUserException($"{path.FullName} does not exist");
            }

            var entries = Read(await File.ReadAllTextAsync(path.FullName, ct), path.Name);
            var refused = new List<string>();
            foreach (var (key, columns) in entries)
            {
                var job = columns.GetValueOrDefault(ScheduleColumns.Job) as string;
                if (!ScheduleValidator.TryValidate(key, columns, session.Accepting(job), out _, out var errors))
                {
                    refused.Add($"{ScheduleIds.Show(key)}: {string.Join("; ", errors)}");
                }
            }

            var duplicates = entries.GroupBy(e => e.Key).Where(g => g.Count() > 1).Select(g => $"{ScheduleIds.Show(g.Key)}: appears {g.Count()} times").ToList();
            refused.AddRange(duplicates);
            if (refused.Count > 0)
            {
                foreach (var line in refused)
                {
                    output.Errors.WriteLine($"error: {line}");
                }

                output.Errors.WriteLine($"error: {refused.Count} of {entries.Count} entries refused; nothing was written");
                return 2;
            }

            foreach (var job in entries.Select(e => e.Columns.GetValueOrDefault(ScheduleColumns.Job) as string).Distinct())
            {
                ScheduleCommands.WarnUnknownJob(session, output, job);
            }

            foreach (var (key, columns) in entries)
            {
                await session.Definitions.ReplaceAsync(key, columns, cancellationToken: ct);
            }

            output.Line($"imported {entries.Count} schedule{(entries.Count == 1 ? "" : "s")} from {path.FullName}");
            return 0;
        }));
        return command;
    }

    private static List<(ScheduleKey Key, Dictionary<string, object?> Columns)> Read(string text, string name)
    {
        try
        {
            var root = JsonNode.Parse(text)?["schedules"]?.AsArray() ?? throw new CliUserException($"{name} has no \"schedules\" array; use a file written by `scheduler export`");
            return [.. root.Select(node =>
            {
                var group = node?["group"]?.GetValue<string>() ?? throw new CliUserException($"{name}: an entry has no \"group\"");
                var id = node["id"]?.GetValue<string>() ?? throw new CliUserException($"{name}: an entry has no \"id\"");
                var columns = (node["columns"]?.AsObject() ?? throw new CliUserException($"{name}: {group}/{id} has no \"columns\""))
                    .ToDictionary(c => c.Key, c => FromJson(c.Value, $"{group}/{id}.{c.Key}"), StringComparer.Ordinal);
                return (new ScheduleKey(group, id), columns);
            })];
        }
        catch (JsonException ex)
        {
            throw new CliUserException($"{name} is not valid JSON: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            throw new CliUserException($"{name} does not have the shape `scheduler export` writes: {ex.Message}");
        }
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => new JsonObject { ["Int64"] = l.ToString(CultureInfo.InvariantCulture) },
        double d => new JsonObject { ["Double"] = d },
        DateTimeOffset d => new JsonObject { ["DateTime"] = d.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture) },
        DateTime d => new JsonObject { ["DateTime"] = new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture) },
        Guid g => new JsonObject { ["Guid"] = g.ToString() },
        byte[] bytes => new JsonObject { ["Binary"] = Convert.ToBase64String(bytes) },
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    private static object? FromJson(JsonNode? node, string where)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonValue value when value.TryGetValue<string>(out var s):
                return s;
            case JsonValue value when value.TryGetValue<bool>(out var b):
                return b;
            case JsonValue value when value.TryGetValue<int>(out var i):
                return i;
            case JsonObject tagged when tagged.Count == 1:
                var (tag, inner) = tagged.First();
                var text = inner?.ToString() ?? "";
                return tag switch
                {
                    "Int64" => long.Parse(text, CultureInfo.InvariantCulture),
                    "Double" => double.Parse(text, CultureInfo.InvariantCulture),
                    "DateTime" => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                    "Guid" => Guid.Parse(text),
                    "Binary" => Convert.FromBase64String(text),
                    _ => throw new CliUserException($"{where}: unknown type tag \"{tag}\""),
                };
            default:
                throw new CliUserException($"{where}: {node.ToJsonString()} is not a column value");
        }
    }
}
