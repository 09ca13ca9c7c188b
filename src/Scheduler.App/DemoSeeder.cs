using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Scheduler.Admin;
using Scheduler.Storage;
using Scheduler.App.Jobs;
using Scheduler.Functions.Standalone;
using Scheduler.Schedules;

namespace Scheduler.App;

/// <summary>Demo schedules and files for the one-command local run: a heartbeat, a file import with one malformed file, and one entry a person got wrong.</summary>
internal sealed class DemoSeeder(ScheduleAdmin admin, DefinitionStore definitions, BlobServiceClient blobs, ILogger<DemoSeeder> logger) : IStandaloneStartup
{
    public const string Flag = "--seed-demo";

    public Task RunAsync(CancellationToken cancellationToken) => SeedAsync(cancellationToken);

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var seeded = new List<string>();
        var container = blobs.GetBlobContainerClient("imports");
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var files = new Dictionary<string, string>
        {
            ["customers-north.csv"] = "id,name,city\n1,Ada Lovelace,London\n2,Grace Hopper,New York\n",
            ["customers-south.csv"] = "id,name,city\n3,Edsger Dijkstra,Austin\n4,\"Hopper, Grace\",Arlington\n",
            ["customers-broken.csv"] = "id,name,city\n5,Alan Turing,Wilmslow\n6,Barbara Liskov\n",
        };
        foreach (var (name, content) in files)
        {
            // Seeded once: a file already imported (processed/) or set aside (failed/) is not put back to be imported again.
            string[] places = ["incoming/" + name, .. FileImportJob.OutcomeFolders.Select(folder => folder + name)];
            if (!await AnyExistsAsync(container, places, cancellationToken))
            {
                await container.GetBlobClient("incoming/" + name).UploadAsync(BinaryData.FromString(content), overwrite: false, cancellationToken);
                seeded.Add("imports/incoming/" + name);
            }
        }

        // Only what is absent: a restart keeps the edits a person made to the demo entries.
        await AddIfAbsentAsync("demo-heartbeat", key => admin.AddOrUpdateAsync(key, new ScheduleSpec
        {
            Job = "heartbeat", Interval = TimeSpan.FromSeconds(10), Args = new { table = "DemoHeartbeats" }, Description = "a heartbeat every 10 seconds",
        }, cancellationToken));
        await AddIfAbsentAsync("demo-file-import", key => admin.AddOrUpdateAsync(key, new ScheduleSpec
        {
            Job = "file-import", Cron = "*/30 * * * * *", Input = "imports/incoming/", Args = new { table = "DemoCustomers", delimiter = ",", hasHeader = true },
            MaxAttempts = 3, RetryBackoffSeconds = 5, Description = "imports CSV files every 30 seconds",
        }, cancellationToken));

        // Written the way a person with a table editor would, typo included: the dispatcher marks it invalid and says why.
        await AddIfAbsentAsync("demo-typo", key => definitions.ReplaceAsync(key, new Dictionary<string, object?>
        {
            [ScheduleColumns.Job] = "heartbeat", [ScheduleColumns.Cron] = "0 */5 * *", [ScheduleColumns.Description] = "a cron with a field missing",
        }, cancellationToken: cancellationToken));
        if (seeded.Count == 0)
        {
            logger.LogInformation("Demo already seeded; nothing added (remove a demo entry or file to have it seeded again)");
        }
        else
        {
            logger.LogInformation("Seeded {Seeded}", string.Join(", ", seeded));
        }

        async Task AddIfAbsentAsync(string id, Func<ScheduleKey, Task> add)
        {
            var key = new ScheduleKey(ScheduleKey.DefaultGroup, id);
            if (await definitions.GetAsync(key, cancellationToken) is null)
            {
                await add(key);
                seeded.Add(id);
            }
        }
    }

    private static async Task<bool> AnyExistsAsync(BlobContainerClient container, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names)
        {
            if ((await container.GetBlobClient(name).ExistsAsync(cancellationToken)).Value)
            {
                return true;
            }
        }

        return false;
    }
}
