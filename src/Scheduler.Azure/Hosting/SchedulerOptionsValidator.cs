using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Scheduler.Hosting;

/// <summary>
/// Checks the "Scheduler" settings at start-up, every problem at once, each naming its setting: a Parallelism of 0
/// fails when the app starts, not at its first tick.
/// </summary>
internal sealed partial class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerOptions options)
    {
        var errors = Problems(options).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <exception cref="OptionsValidationException">The options have problems; the message lists them.</exception>
    public static void ThrowIfInvalid(SchedulerOptions options)
    {
        var errors = Problems(options).ToList();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(SchedulerOptions.Section, typeof(SchedulerOptions), errors);
        }
    }

    private static IEnumerable<string> Problems(SchedulerOptions o)
    {
        const string S = SchedulerOptions.Section;
        foreach (var (value, setting) in new[]
        {
            (o.Parallelism, "Parallelism"), (o.MaxConcurrentRuns, "MaxConcurrentRuns"), (o.MaxDuePerTick, "MaxDuePerTick"),
            (o.LedgerRetention, "LedgerRetention"), (o.EditRetention, "EditRetention"),
        })
        {
            if (value < 1)
            {
                yield return $"{S}:{setting} is {value}; use 1 or more";
            }
        }

        if (o.EditPollMaxSchedules < 0)
        {
            yield return $"{S}:EditPollMaxSchedules is {o.EditPollMaxSchedules}; use 0 (never poll edits between ticks) or more";
        }

        if (o.Shards is < 1 or > Sharding.ShardMap.MaxCount)
        {
            yield return $"{S}:Shards is {o.Shards}; use 1 to {Sharding.ShardMap.MaxCount} (the default, {Sharding.ShardMap.DefaultCount}, suits up to that many instances)";
        }

        if (o.LayoutMoveNotice < TimeSpan.FromSeconds(4))
        {
            yield return $"{S}:LayoutMoveNotice is {o.LayoutMoveNotice}; use 00:00:04 or more (every instance must read the layout row again within a quarter of it)";
        }

        if (o.ShardLeaseDuration < TimeSpan.FromSeconds(2))
        {
            yield return $"{S}:ShardLeaseDuration is {o.ShardLeaseDuration}; use 00:00:02 or more (a crashed instance's shards are taken over after it)";
        }

        if (o.PollInterval <= TimeSpan.Zero)
        {
            yield return $"{S}:PollInterval is {o.PollInterval}; use a positive duration such as 00:00:01";
        }

        foreach (var (value, setting) in new[] { (o.ReconcileInterval, "ReconcileInterval"), (o.LeaseMargin, "LeaseMargin"), (o.AbandonGrace, "AbandonGrace") })
        {
            if (value < TimeSpan.Zero)
            {
                yield return $"{S}:{setting} is {value}; it cannot be negative";
            }
        }

        if (string.IsNullOrWhiteSpace(o.InstanceId) || o.InstanceId.Length > 128 || o.InstanceId.Any(c => c is '|' or '/' or '\\' or '#' or '?' || char.IsControl(c)))
        {
            yield return $"{S}:InstanceId \"{o.InstanceId}\" must be 1 to 128 characters without | / \\ # ? or control characters";
        }

        var fields = (o.TickSchedule ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (!Cronos.CronExpression.TryParse(o.TickSchedule ?? "", fields == 6 ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard, out _))
        {
            yield return $"{S}:TickSchedule \"{o.TickSchedule}\" is not a cron expression; use six fields, seconds first, such as \"0 * * * * *\" (every minute)";
        }

        if (o.Dispatch == DispatchMode.Queue && !QueueName().IsMatch(o.Queue ?? ""))
        {
            yield return $"{S}:Queue \"{o.Queue}\" is not a queue name: 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit";
        }

        if (!TablePrefix().IsMatch(o.Tables.Prefix ?? ""))
        {
            yield return $"{S}:Tables:Prefix \"{o.Tables.Prefix}\" must be letters and digits, starting with a letter (table names allow nothing else)";
        }
    }

    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex QueueName();

    [GeneratedRegex("^([A-Za-z][A-Za-z0-9]{0,39})?$")]
    private static partial Regex TablePrefix();
}
