namespace Scheduler.Jobs;

/// <summary>Thrown by a job that decides not to do its work this time (for example, no input changed); the run is recorded Skipped with the reason.</summary>
public sealed class JobSkippedException(string reason) : Exception(reason);
