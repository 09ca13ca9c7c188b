using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Scheduler.FunctionsHost.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.FunctionsHost.Tests;

[Collection(HostTierCollection.Name)]
[Trait("Category", "FunctionsHost")]
public sealed class ShutdownTests(HostTierFixture tier)
{
    [SkippableFact]
    public async Task Sigterm_RecordsTheRunInFlight_AndReleasesItToRunAgain()
    {
        Skip.If(tier.SkipReason is not null, tier.SkipReason);

        // Arrange: a file import that takes seconds, so the stop lands while it runs
        await using var app = await Deployment.CreateAsync(tier);
        var container = new BlobContainerClient(tier.ConnectionString, app.Prefix + "in");
        await container.CreateAsync();
        var csv = new StringBuilder("id,name,city\n");
        for (var i = 0; i < 150_000; i++)
        {
            csv.Append(i).Append(",name ").Append(i).Append(",city\n");
        }

        await container.UploadBlobAsync("incoming/big.csv", BinaryData.FromString(csv.ToString()));
        var key = new ScheduleKey("default", "import");
        var host = await app.StartHostAsync("stopping");
        await app.Tables.Schedules.UpsertEntityAsync(new TableEntity(key.Group, key.Id)
        {
            ["Job"] = "file-import", ["RunAt"] = DateTimeOffset.UtcNow, ["Input"] = $"{app.Prefix}in/incoming/", ["TimeoutSeconds"] = 300,
            ["Args"] = $"{{\"table\":\"customers{app.Prefix}\"}}",
        });
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (DateTime.UtcNow < deadline && (await app.States.GetAsync(key))?.State.InFlight.Count is null or 0)
        {
            await Task.Delay(200);
        }

        Assert.NotEmpty((await app.States.GetAsync(key))!.State.InFlight);

        // Act
        var stopped = await host.StopAsync(TimeSpan.FromSeconds(40));

        // Assert: the run in flight was cancelled, recorded, and released to run again
        Assert.True(stopped, "the host did not stop within 40 s of SIGTERM:\n" + host.Tail());
        var run = Assert.Single(await app.States.ReadRunsAsync(key));
        Assert.True(run.Status == RunStatus.Failed && run.ErrorMessage == "cancelled because the host is shutting down",
            $"{run.Status}: {run.ErrorMessage}\n{host.Tail(80)}");
        var state = (await app.States.GetAsync(key))!.State;
        Assert.Empty(state.InFlight);
        var rerun = Assert.Single(state.Pending);
        Assert.Equal((PendingKind.Abandoned, 2), (rerun.Kind, rerun.Attempt));

        // ... and the next host runs it to the end. The file is cut to 1,000 lines first: what is tested is that the
        // released run starts again and completes, and re-importing 150,000 lines cost a minute of this tier.
        await container.GetBlobClient("incoming/big.csv").UploadAsync(
            BinaryData.FromString(string.Join('\n', csv.ToString().Split('\n').Take(1001)) + "\n"), overwrite: true);
        // Waits on the run, not a tight clock: under CI load the re-run of the whole file took over 90 s once.
        await app.StartHostAsync("next");
        deadline = DateTime.UtcNow.AddSeconds(240);
        while (DateTime.UtcNow < deadline && !(await app.States.ReadRunsAsync(key)).Any(r => r.Attempt == 2 && r.Status == RunStatus.Succeeded))
        {
            await Task.Delay(500);
        }

        Assert.Contains(await app.States.ReadRunsAsync(key), r => r.Attempt == 2 && r.Status == RunStatus.Succeeded);
    }
}
