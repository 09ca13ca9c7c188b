using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Scheduler.Schedules;

namespace Scheduler.Cli.Commands;

/// <summary>
/// A moment given on the command line: ISO 8601 (2026-12-01T09:00:00Z), or relative to now (-10m, +2h, now,
/// now-1d), resolved against the session's clock when the command runs.
/// </summary>
internal sealed record Moment(DateTimeOffset? Absolute, TimeSpan FromNow)
{
    public const string Formats = "ISO 8601 (2026-12-01T09:00:00Z), or relative to now: -10m, +2h, now, now-1d";

    public DateTimeOffset Resolve(DateTimeOffset now) => Absolute ?? now + FromNow;

    public static Option<Moment> Option(string name, string description, bool required = false) => new(name)
    {
        Description = $"{description} ({Formats})",
        Required = required,
        CustomParser = result => Parse(result, name),
    };

    private static Moment? Parse(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        if (TryParse(text, out var moment))
        {
            return moment;
        }

        result.AddError($"{name}: \"{text}\" is not a moment; use {Formats}");
        return null;
    }

    public static bool TryParse(string text, out Moment? moment)
    {
        if (TryParseRelative(text, out var fromNow))
        {
            moment = new Moment(null, fromNow);
            return true;
        }

        moment = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var absolute)
            ? new Moment(absolute, TimeSpan.Zero)
            : null;
        return moment is not null;
    }

    /// <summary>"now", "now-10m", "-10m", "+2h": the offset from now. False for anything else (an absolute time).</summary>
    public static bool TryParseRelative(string text, out TimeSpan fromNow)
    {
        fromNow = TimeSpan.Zero;
        var trimmed = text.Trim();
        var now = trimmed.StartsWith("now", StringComparison.OrdinalIgnoreCase);
        var relative = now ? trimmed[3..].Trim() : trimmed;
        if (now && relative.Length == 0)
        {
            return true;
        }

        // A unit or hh:mm is required: "-10" alone says nothing about what it counts.
        var amount = relative.Length > 1 && relative[0] is '-' or '+' ? relative[1..].Trim() : "";
        if (amount.Any(c => char.IsLetter(c) || c == ':') && IntervalParsing.TryParse(amount, out var span) && span <= IntervalParsing.Max)
        {
            fromNow = relative[0] == '-' ? -span : span;
            return true;
        }

        return false;
    }
}
