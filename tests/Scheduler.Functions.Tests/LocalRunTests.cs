using Scheduler.App;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Scheduler.Admin;
using Scheduler.Development;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Functions.Standalone;
using Scheduler.Functions.Tests.Fixtures;
using Scheduler.Schedules;

namespace Scheduler.Functions.Tests;

/// <summary>The one-command local run (scripts/run-local.sh): restarts keep a person's edits, and start-up problems are one line.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class LocalRunTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task DemoSeed_OnARestart_AddsOnlyWhatIsAbsent_KeepingEdits_AndNeverPutsBackAnImportedFile()
    {
        // Arrange: the first start seeds; then a person edits the heartbeat, removes the typo, and one file is imported
        await using var app = await AppHarness.StartAsync(azurite, ("Scheduler:Inputs:AllowedContainers", "imports"));
        var seeder = new DemoSeeder(app.Get<ScheduleAdmin>(), app.Get<DefinitionStore>(), app.Get<BlobServiceClient>(), Microsoft.Extensions.Logging.Abstractions.NullLogger<DemoSeeder>.Instance);
        var container = app.Get<BlobServiceClient>().GetBlobContainerClient("imports");
        await container.DeleteIfExistsAsync();
        await seeder.SeedAsync(default);
        var heartbeat = new ScheduleKey("default", "demo-heartbeat");
        await app.Get<ScheduleAdmin>().AddOrUpdateAsync(heartbeat, new ScheduleSpec { Job = "heartbeat", Interval = TimeSpan.FromMinutes(5), Args = new { table = "DemoHeartbeats" } });
        await app.Get<DefinitionStore>().DeleteAsync(new ScheduleKey("default", "demo-typo"));
        var edited = (await app.Get<DefinitionStore>().GetAsync(heartbeat))!.GetString(ScheduleColumns.Interval);
        var north = container.GetBlobClient("incoming/customers-north.csv");
        await container.GetBlobClient("processed/customers-north.csv").UploadAsync(BinaryData.FromString("imported"));
        await north.DeleteAsync();

        // Act: the restart
        await seeder.SeedAsync(default);

        // Assert
        Assert.NotEqual("00:00:10", edited);
        Assert.Equal(edited, (await app.Get<DefinitionStore>().GetAsync(heartbeat))!.GetString(ScheduleColumns.Interval));
        Assert.NotNull(await app.Get<DefinitionStore>().GetAsync(new ScheduleKey("default", "demo-typo"))); // absent, so seeded again
        var names = await container.GetBlobsAsync().Select(b => b.Name).ToListAsync();
        Assert.Equal(["incoming/customers-broken.csv", "incoming/customers-south.csv", "processed/customers-north.csv"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task StandaloneHost_WithAzuritesPortTakenByAnotherProgram_SaysWhichPort_AndExitsWithOneLine()
    {
        // Arrange: something else listens on Azurite's blob port, nothing on the others
        TcpListener listener;
        try
        {
            listener = new TcpListener(IPAddress.Loopback, AzuriteProcess.DefaultBlobPort);
            listener.Start();
        }
        catch (SocketException)
        {
            Assert.Fail($"port {AzuriteProcess.DefaultBlobPort} is already in use on this machine; the test needs it free to take it itself");
            return;
        }

        using var _ = listener;
        Assert.False(AzuriteProcess.IsListening(AzuriteProcess.DefaultTablePort), "an Azurite already runs on the default ports; stop it to run this test");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(AppHarness.FunctionsBuildOutput("Scheduler.App.dll"));
        start.ArgumentList.Add("--standalone");
        start.Environment["SchedulerStorage"] = "UseDevelopmentStorage=true";

        // Act
        using var host = Process.Start(start)!;
        var stderr = host.StandardError.ReadToEndAsync();
        var stdout = host.StandardOutput.ReadToEndAsync();
        var exited = host.WaitForExit(TimeSpan.FromSeconds(60));
        if (!exited)
        {
            host.Kill(entireProcessTree: true);
        }

        // Assert
        Assert.True(exited, "the host did not exit: " + await stdout);
        var error = await stderr;
        Assert.Equal(1, host.ExitCode);
        Assert.Equal(
            $"error: port {AzuriteProcess.DefaultBlobPort} is in use by another program, so Azurite cannot start on 10000, 10001, 10002 (blob, queue, table); " +
            "stop that program, start Azurite yourself on all three ports, or set SchedulerStorage in local.settings.json to a storage account's connection string",
            error.Trim());
        Assert.DoesNotContain("   at ", error + await stdout);
    }
}
