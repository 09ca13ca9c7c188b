namespace Scheduler.Jobs;

/// <summary>
/// The code a schedule runs. Registered by name with <c>AddJob&lt;T&gt;("name")</c> and resolved from a fresh DI scope
/// for every run, so anything it opens (a stream, a client, a file) lives exactly as long as the run.
/// </summary>
public interface IJob
{
    Task RunAsync(JobContext context, CancellationToken cancellationToken);
}
