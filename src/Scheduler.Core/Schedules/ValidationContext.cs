namespace Scheduler.Schedules;

/// <summary>What a definition is checked against besides its own columns: the registered jobs and the blob containers inputs may use.</summary>
public sealed record ValidationContext(IReadOnlySet<string> KnownJobs, IReadOnlySet<string> AllowedContainers)
{
    public const int MaxArgsLength = 16 * 1024;
}
