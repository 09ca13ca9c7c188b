namespace Scheduler.Runs;

/// <summary>What a finished run reports: its status, when it ran, why it failed, and which blobs it read (name → ETag).</summary>
internal sealed record RunOutcome(
    RunStatus Status,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string? ErrorType = null,
    string? ErrorMessage = null,
    IReadOnlyDictionary<string, string>? InputsRead = null,
    string? SkipReason = null,
    bool Interrupted = false,
    bool Abandoned = false)
{
    public bool ShouldRetry => Status is RunStatus.Failed or RunStatus.TimedOut;
}
