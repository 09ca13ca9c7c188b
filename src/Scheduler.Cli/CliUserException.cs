namespace Scheduler.Cli;

/// <summary>A mistake the user can fix; printed as one line, exit code 2.</summary>
internal sealed class CliUserException(string message) : Exception(message);
