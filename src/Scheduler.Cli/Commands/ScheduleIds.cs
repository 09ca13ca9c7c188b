using System.CommandLine;
using Scheduler.Schedules;

namespace Scheduler.Cli.Commands;

/// <summary>A schedule named on the command line: "id" (group "default") or "group/id" ('/' cannot occur in table keys).</summary>
internal static class ScheduleIds
{
    public static Argument<string> Argument() => new("ID") { Description = "Schedule id, or group/id" };

    public static ScheduleKey Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var key = slash < 0 ? new ScheduleKey(ScheduleKey.DefaultGroup, text) : new ScheduleKey(text[..slash], text[(slash + 1)..]);
        if (key.Group.Length == 0 || key.Id.Length == 0 || key.Id.Contains('/', StringComparison.Ordinal))
        {
            throw new CliUserException($"\"{text}\" is not a schedule id; use id or group/id");
        }

        return key;
    }

    public static string Show(ScheduleKey key) => key.Group == ScheduleKey.DefaultGroup ? key.Id : $"{key.Group}/{key.Id}";
}
