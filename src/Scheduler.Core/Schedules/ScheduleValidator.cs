using System.Text.Json;

namespace Scheduler.Schedules;

/// <summary>
/// Turns a table entry's columns into a <see cref="ScheduleDefinition"/>, or into messages that say what to fix.
/// Pure: the dispatcher, the admin API and the CLI all use it, so nothing can be written that the dispatcher would reject.
/// </summary>
internal static class ScheduleValidator
{
    public static ScheduleDefinition Validate(ScheduleKey key, IReadOnlyDictionary<string, object?> columns, ValidationContext context) =>
        TryValidate(key, columns, context, out var definition, out var errors)
            ? definition
            : throw new ScheduleValidationException(key, errors);

    public static bool TryValidate(
        ScheduleKey key,
        IReadOnlyDictionary<string, object?> columns,
        ValidationContext context,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ScheduleDefinition? definition,
        out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var read = new ColumnReader(columns, problems);
        CheckKey(key, problems);

        var job = read.String(ScheduleColumns.Job, 128);
        if (job is null)
        {
            problems.Add(read.Has(ScheduleColumns.Job) ? "Job is not usable" : $"Job is missing; set it to one of the registered jobs: {Known(context.KnownJobs)}");
        }
        else if (!context.KnownJobs.Contains(job))
        {
            problems.Add($"Job \"{ColumnReader.Truncate(job)}\" is not registered; use one of: {Known(context.KnownJobs)}");
        }

        var zoneId = read.String(ScheduleColumns.TimeZone, 128) ?? "UTC";
        if (!TimeZones.TryResolve(zoneId, out var zone))
        {
            problems.Add($"TimeZone \"{ColumnReader.Truncate(zoneId)}\" is not a known zone; use an IANA id such as \"Europe/London\" or a Windows id such as \"GMT Standard Time\"");
        }

        var trigger = ReadTrigger(read, zone, problems);
        var startAt = read.Instant(ScheduleColumns.StartAt, zone);
        var endAt = read.Instant(ScheduleColumns.EndAt, zone);
        if (startAt is { } s && endAt is { } e && e <= s)
        {
            problems.Add($"EndAt {e:O} is not after StartAt {s:O}; move EndAt later or clear it");
        }

        var policies = ReadPolicies(read, context, problems);
        var args = ReadArgs(read, problems);
        var input = ReadInput(read, context, problems);
        var enabled = read.Bool(ScheduleColumns.Enabled, true);
        var pauseNote = read.String(ScheduleColumns.PauseNote, 1024);
        var description = read.String(ScheduleColumns.Description, 4096);

        errors = problems;
        if (problems.Count > 0 || trigger is null || job is null)
        {
            definition = null;
            return false;
        }

        definition = new ScheduleDefinition(key, job, trigger, zone, startAt, endAt, enabled, pauseNote, args, input, policies, description);
        return true;
    }

    private static void CheckKey(ScheduleKey key, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(key.Group) || key.Group.Contains('|', StringComparison.Ordinal) || key.Group.Length > 64)
        {
            problems.Add($"group (PartitionKey) \"{ColumnReader.Truncate(key.Group)}\" must be 1 to 64 characters without '|'");
        }

        if (string.IsNullOrWhiteSpace(key.Id) || key.Id.Length > 128)
        {
            problems.Add("id (RowKey) must be 1 to 128 characters");
        }
    }

    private static TriggerSpec? ReadTrigger(ColumnReader read, NodaTime.DateTimeZone zone, List<string> problems)
    {
        var present = new[] { ScheduleColumns.Cron, ScheduleColumns.Interval, ScheduleColumns.RunAt }.Where(read.Has).ToList();
        if (present.Count == 0)
        {
            problems.Add("no trigger: set exactly one of Cron (e.g. \"0 9 * * MON-FRI\"), Interval (e.g. \"00:05:00\" or \"5m\") or RunAt (e.g. \"2026-12-01T09:00:00Z\")");
            return null;
        }

        if (present.Count > 1)
        {
            // Every error at once: what is wrong with each of them too, not only that there are several.
            problems.Add($"{string.Join(" and ", present)} are {(present.Count == 2 ? "both" : "all")} set; keep exactly one of Cron, Interval or RunAt");
            foreach (var column in present)
            {
                ReadTrigger(column, read, zone, problems);
            }

            return null;
        }

        return ReadTrigger(present[0], read, zone, problems);
    }

    private static TriggerSpec? ReadTrigger(string column, ColumnReader read, NodaTime.DateTimeZone zone, List<string> problems)
    {
        switch (column)
        {
            case ScheduleColumns.Cron:
                var cron = read.String(ScheduleColumns.Cron, 256);
                if (cron is null)
                {
                    return null;
                }

                if (!Triggers.CronParsing.TryParse(cron, out _, out var cronError))
                {
                    problems.Add(cronError!);
                    return null;
                }

                return new TriggerSpec.Cron(cron);
            case ScheduleColumns.Interval:
                var text = read.String(ScheduleColumns.Interval, 64);
                if (text is null)
                {
                    return null;
                }

                if (!IntervalParsing.TryParse(text, out var every))
                {
                    problems.Add($"Interval \"{ColumnReader.Truncate(text)}\" is not a duration; use \"00:05:00\" (hh:mm:ss) or \"30s\", \"5m\", \"2h\", \"1d\"");
                    return null;
                }

                if (every < TimeSpan.FromSeconds(1))
                {
                    problems.Add($"Interval \"{text}\" is {(every <= TimeSpan.Zero ? "zero or negative" : "under one second")}; use at least 1 second");
                    return null;
                }

                if (every > IntervalParsing.Max)
                {
                    problems.Add($"Interval \"{text}\" is longer than 100 years ({IntervalParsing.Max.TotalDays:0} days); use a shorter interval, or RunAt for a one-off");
                    return null;
                }

                return new TriggerSpec.Interval(every);
            default:
                return read.Instant(ScheduleColumns.RunAt, zone) is { } at ? new TriggerSpec.Once(at) : null;
        }
    }

    private static SchedulePolicies ReadPolicies(ColumnReader read, ValidationContext context, List<string> problems)
    {
        const int Day = 86_400;
        var defaults = SchedulePolicies.Default;
        var overlap = read.Enum(ScheduleColumns.Overlap, defaults.Overlap);
        var maxConcurrency = read.Int(ScheduleColumns.MaxConcurrency, 1, 1, 32);
        if (maxConcurrency > 1 && overlap != OverlapPolicy.AllowAll)
        {
            problems.Add($"MaxConcurrency {maxConcurrency} only applies with Overlap=AllowAll; set Overlap to AllowAll or MaxConcurrency to 1");
        }

        var problemsBefore = problems.Count;
        var timeout = read.Seconds(ScheduleColumns.TimeoutSeconds, defaults.Timeout, 1, Day);
        if (context.MaxTimeout is { } max && timeout > max)
        {
            // The default is only a default: where runs may last less, it is that much. A value someone wrote is refused.
            if (read.Has(ScheduleColumns.TimeoutSeconds) && problems.Count == problemsBefore)
            {
                problems.Add($"TimeoutSeconds {timeout.TotalSeconds:0} is longer than a run may last in this app ({context.MaxTimeoutReason ?? "its configured limit"}); " +
                             $"use at most {Math.Floor(max.TotalSeconds):0}, or raise the limit");
            }

            timeout = max;
        }

        var backoff = read.Seconds(ScheduleColumns.RetryBackoffSeconds, defaults.RetryBackoff, 0, Day);
        var backoffMax = read.Seconds(ScheduleColumns.RetryBackoffMaxSeconds, defaults.RetryBackoffMax, 0, 7 * Day);
        return new SchedulePolicies
        {
            MisfireGrace = read.Seconds(ScheduleColumns.MisfireGraceSeconds, defaults.MisfireGrace, 0, 7 * Day),
            Coalesce = read.Enum(ScheduleColumns.Coalesce, defaults.Coalesce),
            Overlap = overlap,
            MaxConcurrency = maxConcurrency,
            Jitter = read.Seconds(ScheduleColumns.JitterSeconds, defaults.Jitter, 0, Day),
            MaxAttempts = read.Int(ScheduleColumns.MaxAttempts, defaults.MaxAttempts, 1, 100),
            RetryBackoff = backoff,
            RetryBackoffMax = backoffMax < backoff ? backoff : backoffMax,
            Timeout = timeout,
            Dst = read.Enum(ScheduleColumns.DstPolicy, defaults.Dst),
        };
    }

    private static string ReadArgs(ColumnReader read, List<string> problems)
    {
        var text = read.String(ScheduleColumns.Args, ValidationContext.MaxArgsLength);
        if (text is null)
        {
            return "{}";
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"Args must be a JSON object such as {{\"delimiter\":\";\"}}; found a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
                return "{}";
            }

            return text;
        }
        catch (JsonException ex)
        {
            problems.Add($"Args is not valid JSON ({ex.Message.Split('.')[0]}); write a JSON object such as {{\"delimiter\":\";\"}}");
            return "{}";
        }
        catch (ArgumentException)
        {
            problems.Add("Args contains characters that are not valid Unicode (a broken surrogate pair); retype the value");
            return "{}";
        }
    }

    private static InputLocation? ReadInput(ColumnReader read, ValidationContext context, List<string> problems)
    {
        var text = read.String(ScheduleColumns.Input, 1024);
        if (text is null)
        {
            return null;
        }

        if (text.StartsWith('/') || text.Contains('\\', StringComparison.Ordinal) || text.Contains("://", StringComparison.Ordinal))
        {
            problems.Add($"Input \"{ColumnReader.Truncate(text)}\" must be a relative container/prefix such as \"imports/incoming/\", not an absolute path or URL");
            return null;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? text : text[..slash];
        var prefix = slash < 0 ? "" : text[(slash + 1)..];
        if (prefix.Split('/').Any(segment => segment is ".." or "."))
        {
            problems.Add($"Input \"{ColumnReader.Truncate(text)}\" contains '.' or '..' segments; name the container and prefix directly");
            return null;
        }

        if (container.Length is < 3 or > 63 || !container.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            problems.Add($"Input container \"{ColumnReader.Truncate(container)}\" is not a blob container name (3-63 lowercase letters, digits, '-')");
            return null;
        }

        if (!context.AllowedContainers.Contains(container))
        {
            problems.Add(context.AllowedContainers.Count == 0
                ? $"Input container \"{container}\" is not allowed: no containers are configured for inputs (Scheduler:Inputs:AllowedContainers)"
                : $"Input container \"{container}\" is not allowed; use one of: {string.Join(", ", context.AllowedContainers.Order())}");
            return null;
        }

        return new InputLocation(container, prefix);
    }

    private static string Known(IReadOnlySet<string> jobs) => jobs.Count == 0 ? "(no jobs are registered)" : string.Join(", ", jobs.Order());
}
