using System.CommandLine;
using System.Text.RegularExpressions;

namespace Scheduler.Cli;

/// <summary>Command-line mistakes (unknown option, missing argument, a value of the wrong type): one line each, in words, exit 2.</summary>
internal static partial class UsageErrors
{
    public const int ExitCode = 2;

    public static int Report(ParseResult parsed, TextWriter error)
    {
        foreach (var problem in parsed.Errors.Select(e => e.Message).Distinct())
        {
            error.WriteLine($"error: {InWords(problem)}");
        }

        var path = string.Join(' ', CommandPath(parsed));
        error.WriteLine($"see `{path} --help` for what it takes");
        return ExitCode;
    }

    /// <summary>System.CommandLine names .NET types ("as expected type 'System.DateTimeOffset'"); a user wants the format.</summary>
    internal static string InWords(string message) => DotNetType().Replace(message, m => "as " + m.Groups["name"].Value switch
    {
        "DateTimeOffset" or "DateTime" => "a date and time such as 2026-12-01T09:00:00Z",
        "Int32" or "Int64" or "Int16" or "UInt32" or "UInt64" or "Byte" => "a whole number",
        "Double" or "Single" or "Decimal" => "a number",
        "TimeSpan" => "a duration such as 00:05:00",
        "Boolean" => "true or false",
        "Guid" => "a GUID",
        var other => other.ToLowerInvariant(),
    });

    private static List<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        names[0] = "scheduler";
        return names;
    }

    /// <summary>'System.X', 'System.Nullable`1[System.X]' and the like: the innermost type's short name.</summary>
    [GeneratedRegex(@"(?:as expected type )?'System\.(?:Nullable`1\[)?(?:System\.)?(?<name>[A-Za-z0-9]+)\]?'")]
    private static partial Regex DotNetType();
}
