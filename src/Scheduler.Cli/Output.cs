using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Scheduler.Cli;

/// <summary>Human output (Spectre tables) or JSON for scripts, to the writers the command was given.</summary>
internal sealed class Output(TextWriter writer, TextWriter errors, bool json)
{
    // Relaxed escaping: the output is read by scripts and people, never embedded in HTML, so a quote stays \" (not \u0022).
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IAnsiConsole _console = CreateConsole(writer);

    public bool Json => json;
    public TextWriter Errors => errors;

    public void Line(string text) => writer.WriteLine(text);

    public void Warn(string text) => errors.WriteLine($"warning: {text}");

    public void WriteJson(object value) => writer.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public void Table(string? title, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        if (title is not null)
        {
            table.Title(new TableTitle(Markup.Escape(title)));
        }

        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column, new Style(decoration: Decoration.Bold))));
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell ?? "")).ToArray());
        }

        _console.Write(table);
    }

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var interactive = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!interactive)
        {
            console.Profile.Width = 240;
        }

        return console;
    }
}
