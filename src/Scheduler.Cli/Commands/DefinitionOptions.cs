using System.CommandLine;
using Scheduler.Schedules;

namespace Scheduler.Cli.Commands;

/// <summary>The options of `schedules add` and `schedules set`, each mapped to its Schedules column.</summary>
internal sealed class DefinitionOptions
{
    private readonly List<(Option Option, string Column, Func<ParseResult, object?> Read)> _columns = [];

    public DefinitionOptions()
    {
        Text("--job", ScheduleColumns.Job, "Registered job name (see `scheduler jobs`)");
        Text("--cron", ScheduleColumns.Cron, "Cron expression: 5 fields, or 6 with seconds first");
        Text("--every", ScheduleColumns.Interval, "Fixed interval: 30s, 5m, 2h, 1d or hh:mm:ss");
        Text("--at", ScheduleColumns.RunAt, "One shot: ISO 8601 time (without an offset: wall-clock time in --tz)");
        Text("--tz", ScheduleColumns.TimeZone, "IANA or Windows time zone id (default UTC)");
        Text("--args", ScheduleColumns.Args, "Args as a JSON object, e.g. '{\"table\":\"Customers\"}'");
        Text("--input", ScheduleColumns.Input, "Blob container/prefix the job reads, e.g. imports/incoming/");
        Text("--start", ScheduleColumns.StartAt, "First possible due time (ISO 8601)");
        Text("--end", ScheduleColumns.EndAt, "Last possible due time (ISO 8601)");
        Text("--description", ScheduleColumns.Description, "Free text");
        Text("--overlap", ScheduleColumns.Overlap, "Skip, BufferOne, BufferAll or AllowAll");
        Text("--coalesce", ScheduleColumns.Coalesce, "Latest, Earliest, All or None");
        Text("--dst", ScheduleColumns.DstPolicy, "Shift, Skip or Twice");
        Number("--max-attempts", ScheduleColumns.MaxAttempts, "Attempts per occurrence (1-100)");
        Number("--retry-backoff", ScheduleColumns.RetryBackoffSeconds, "Seconds before the first retry; doubles per attempt");
        Number("--retry-backoff-max", ScheduleColumns.RetryBackoffMaxSeconds, "Cap on the retry delay, seconds");
        Number("--timeout", ScheduleColumns.TimeoutSeconds, "Seconds before the run is cancelled and recorded TimedOut");
        Number("--max-concurrency", ScheduleColumns.MaxConcurrency, "Concurrent runs with --overlap AllowAll");
        Number("--misfire-grace", ScheduleColumns.MisfireGraceSeconds, "Seconds an occurrence may start late before it counts as missed");
        Number("--jitter", ScheduleColumns.JitterSeconds, "Up to this many seconds of deterministic delay");
    }

    public IEnumerable<Option> All => _columns.Select(c => c.Option);

    /// <summary>Whether the command line gives the option of this column.</summary>
    public bool Gives(ParseResult parse, string column) => _columns.Any(c => c.Column == column && parse.GetResult(c.Option) is { Implicit: false });

    /// <summary>Applies the options given; a new trigger option replaces the other trigger columns.</summary>
    public void ApplyTo(Dictionary<string, object?> columns, ParseResult parse)
    {
        string[] triggers = [ScheduleColumns.Cron, ScheduleColumns.Interval, ScheduleColumns.RunAt];
        var given = _columns.Where(c => parse.GetResult(c.Option) is { Implicit: false }).ToList();
        if (given.Count(c => triggers.Contains(c.Column)) == 1)
        {
            foreach (var trigger in triggers)
            {
                columns.Remove(trigger);
            }
        }

        foreach (var (_, column, read) in given)
        {
            columns[column] = read(parse);
        }
    }

    private void Text(string name, string column, string description)
    {
        var option = new Option<string>(name) { Description = description };
        _columns.Add((option, column, p => p.GetValue(option)));
    }

    private void Number(string name, string column, string description)
    {
        var option = new Option<int>(name) { Description = description };
        _columns.Add((option, column, p => p.GetValue(option)));
    }
}
