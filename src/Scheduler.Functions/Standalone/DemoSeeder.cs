using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Scheduler.Azure.Admin;
using Scheduler.Azure.Storage;
using Scheduler.Schedules;

namespace Scheduler.Functions.Standalone;

/// <summary>Demo schedules and files for the one-command local run: a heartbeat, a file import with one malformed file, and one entry a person got wrong.</summary>
internal sealed class DemoSeeder(ScheduleAdmin admin, DefinitionStore definitions, BlobServiceClient blobs, ILogger<DemoSeeder> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient("imports");
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var files = new Dictionary<string, string>
        {
            ["incoming/customers-north.csv"] = "id,name,city\n1,Ada Lovelace,London\n2,Grace Hopper,New York\n",
            ["incoming/customers-south.csv"] = "id,name,city\n3,Edsger Dijkstra,Austin\n4,\"Hopper, Grace\",Arlington\n",
            ["incoming/customers-broken.csv"] = "id,name,city\n5,Alan Turing,Wilmslow\n6,Barbara Liskov\n",
        };
        foreach (var (name, content) in files)
        {
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(content), overwrite: true, cancellationToken);
        }

        await admin.AddOrUpdateAsync(new ScheduleKey(ScheduleKey.DefaultGroup, "demo-heartbeat"), new ScheduleSpec
        {
            Job = "heartbeat", Interval = TimeSpan.FromSeconds(10), Args = new { table = "DemoHeartbeats" }, Description = "a heartbeat every 10 seconds",
        }, cancellationToken);
        await admin.AddOrUpdateAsync(new ScheduleKey(ScheduleKey.DefaultGroup, "demo-file-import"), new ScheduleSpec
        {
            Job = "file-import", Cron = "*/30 * * * * *", Input = "imports/incoming/", Args = new { table = "DemoCustomers", delimiter = ",", hasHeader = true },
            MaxAttempts = 3, RetryBackoffSeconds = 5, Description = "imports CSV files every 30 seconds",
        }, cancellationToken);

        // Written the way a person with a table editor would, typo included: the dispatcher marks it invalid and says why.
        await definitions.ReplaceAsync(new ScheduleKey(ScheduleKey.DefaultGroup, "demo-typo"), new Dictionary<string, object?>
        {
            [ScheduleColumns.Job] = "heartbeat", [ScheduleColumns.Cron] = "0 */5 * *", [ScheduleColumns.Description] = "a cron with a field missing",
        }, cancellationToken: cancellationToken);
        logger.LogInformation("Seeded demo schedules demo-heartbeat, demo-file-import and demo-typo, and {Files} CSV files under imports/incoming/", files.Count);
    }
}
