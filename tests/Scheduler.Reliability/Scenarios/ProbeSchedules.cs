using Scheduler.Admin;
using Scheduler.Reliability.Harness;
using Scheduler.Reliability.Jobs;
using Scheduler.Schedules;

namespace Scheduler.Reliability.Scenarios;

/// <summary>Adds probe schedules through the admin API (validated like any user's) and remembers their keys.</summary>
internal static class ProbeSchedules
{
    public static ScheduleSpec Every(TimeSpan interval, Rig rig, int failAttempts = 0, int workMilliseconds = 0) => new()
    {
        Job = ReliabilityJobs.Probe,
        Interval = interval,
        Args = Args(rig, failAttempts, workMilliseconds),
        TimeoutSeconds = 5,
    };

    public static ScheduleSpec Cron(string cron, Rig rig, int failAttempts = 0, int workMilliseconds = 0) => new()
    {
        Job = ReliabilityJobs.Probe,
        Cron = cron,
        Args = Args(rig, failAttempts, workMilliseconds),
        TimeoutSeconds = 5,
    };

    public static async Task<HashSet<ScheduleKey>> AddAsync(Rig rig, string group, int count, Func<int, ScheduleSpec> spec)
    {
        var keys = new HashSet<ScheduleKey>();
        for (var i = 0; i < count; i++)
        {
            var key = new ScheduleKey(group, $"probe-{i:D4}");
            var made = spec(i);
            await rig.Admin.AddOrUpdateAsync(key, made);
            rig.Specs[key] = made;
            keys.Add(key);
        }

        return keys;
    }

    private static object Args(Rig rig, int failAttempts, int workMilliseconds) =>
        new { table = rig.ProbeTable, failAttempts, workMilliseconds };
}
