using System.Diagnostics;
using Scheduler.Admin;
using Scheduler.Development;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Functions.Tests.Fixtures;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Functions.Tests;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class StandaloneHostTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task StandaloneHost_RunsHeartbeats_AndStopsCleanlyOnSigint()
    {
        // Arrange
        await using var app = await AppHarness.StartAsync(azurite);
        var key = new ScheduleKey("default", "beat");
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(key, new ScheduleSpec { Job = "heartbeat", Interval = TimeSpan.FromSeconds(1), Args = new { table = "beats" + app.Prefix } });
        var dll = AppHarness.FunctionsBuildOutput("Scheduler.App.dll");
        // Through `env --default-signal=INT`: a test run started from a script's background job inherits SIGINT
        // ignored, and a child would too; this way the host has the default handling a terminal gives it.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--standalone");
        start.Environment["SchedulerStorage"] = azurite.ConnectionString;
        start.Environment["Scheduler__Tables__Prefix"] = app.Prefix;
        start.Environment["Scheduler__TickSchedule"] = "*/1 * * * * *";
        start.Environment["Scheduler__PreciseFiring"] = "false";
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var host = Process.Start(start)!;
        host.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        host.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();

        try
        {
            // Act: let it tick until a few heartbeats ran, then Ctrl+C
            var deadline = DateTime.UtcNow.AddSeconds(40);
            while ((await app.States.ReadRunsAsync(key)).Count(r => r.Status == RunStatus.Succeeded) < 3 && DateTime.UtcNow < deadline && !host.HasExited)
            {
                await Task.Delay(300);
            }

            await ProcessSignals.SendAsync(host, "INT");

            var exited = host.WaitForExit(TimeSpan.FromSeconds(25));

            // Assert
            Assert.True(exited, "the host did not stop within 25 s of SIGINT:\n" + string.Join("\n", output));
            Assert.Equal(0, host.ExitCode);
            Assert.True((await app.States.ReadRunsAsync(key)).Count(r => r.Status == RunStatus.Succeeded) >= 3, string.Join("\n", output));
            Assert.Contains(output, line => line.Contains("Standalone scheduler stopped", StringComparison.Ordinal));
            Assert.Contains(output, line => line.Contains("Ran beat (heartbeat)", StringComparison.Ordinal));
            Assert.Empty((await app.States.GetAsync(key))!.State.InFlight); // every run it claimed was recorded before it exited
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
            }
        }
    }
}
