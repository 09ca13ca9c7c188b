using Scheduler.Jobs;

namespace Scheduler.Reliability.Jobs;

/// <summary>Always throws.</summary>
internal sealed class ThrowingJob : IJob
{
    public Task RunAsync(JobContext context, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"poison: throws on every attempt (this was attempt {context.Attempt})");
}

/// <summary>Waits forever, but honours cancellation: ends when its timeout cancels it.</summary>
internal sealed class HangingJob : IJob
{
    public Task RunAsync(JobContext context, CancellationToken cancellationToken) =>
        Task.Delay(Timeout.Infinite, cancellationToken);
}

/// <summary>Blocks its thread for Args.seconds and never looks at the cancellation token.</summary>
internal sealed class DeafJob : IJob
{
    public sealed class Settings
    {
        public int Seconds { get; set; } = 20;
    }

    public Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        Thread.Sleep(TimeSpan.FromSeconds(context.GetArgs<Settings>().Seconds));
        return Task.CompletedTask;
    }
}

/// <summary>Allocates Args.megabytes in 1 MiB arrays, touching every page, holds them briefly, then lets them go.</summary>
internal sealed class AllocatingJob : IJob
{
    public sealed class Settings
    {
        public int Megabytes { get; set; } = 512;
    }

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var held = new List<byte[]>();
        for (var i = 0; i < context.GetArgs<Settings>().Megabytes; i++)
        {
            var block = new byte[1 << 20];
            for (var page = 0; page < block.Length; page += 4096)
            {
                block[page] = 1;
            }

            held.Add(block);
        }

        await Task.Delay(200, cancellationToken);
        GC.KeepAlive(held);
    }
}
