using Microsoft.Extensions.Logging;
using Scheduler.Jobs;

namespace SchedulerApp1.Jobs;

/// <summary>
/// A job is a name plus data: registered by name in Program.cs, resolved fresh for every run, its Args JSON bound with
/// GetArgs. Anything it opens (here each input blob) is opened and disposed inside the run.
/// </summary>
public sealed class HelloJob : IJob
{
    public sealed record Settings(string Greeting = "Hello");

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var settings = context.GetArgs<Settings>();
        context.Logger.LogInformation("{Greeting} from {Schedule}, due {Due:O} (attempt {Attempt})", settings.Greeting, context.Schedule, context.Due, context.Attempt);
        await foreach (var file in context.Inputs.ListAsync(cancellationToken))
        {
            await using var stream = await file.OpenReadAsync(cancellationToken);
            using var reader = new StreamReader(stream);
            var firstLine = await reader.ReadLineAsync(cancellationToken);
            context.Logger.LogInformation("Input {File} ({Bytes} bytes) starts with: {FirstLine}", file.Name, file.Size, firstLine);
        }
    }
}
