namespace Scheduler.Schedules;

/// <summary>
/// What a definition is checked against besides its own columns: the registered jobs, the blob containers inputs may
/// use, and how long a run may last where it runs (<paramref name="MaxTimeout"/>, with <paramref name="MaxTimeoutReason"/>
/// saying where that limit comes from, such as the Functions host's functionTimeout).
/// </summary>
internal sealed record ValidationContext(
    IReadOnlySet<string> KnownJobs,
    IReadOnlySet<string> AllowedContainers,
    TimeSpan? MaxTimeout = null,
    string? MaxTimeoutReason = null)
{
    public const int MaxArgsLength = 16 * 1024;

    /// <summary>The same context, taking <paramref name="job"/> as registered (a tool that checks the rest of an entry, or a version applied earlier).</summary>
    public ValidationContext Accepting(string? job) =>
        job is null || KnownJobs.Contains(job) ? this : this with { KnownJobs = KnownJobs.Append(job).ToHashSet(StringComparer.Ordinal) };
}
