using Microsoft.Extensions.DependencyInjection;
using Scheduler.Admin;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Planning;
using Scheduler.Runs;
using Scheduler.Schedules;

namespace Scheduler.Storage.Tests.Admin;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class ScheduleAdminTests(AzuriteFixture azurite)
{
    private static readonly ScheduleKey Key = new("reports", "weekly");

    // What our users bring from APScheduler: a job object that holds an open file.
    private sealed class ReportArgs
    {
        public string Title { get; set; } = "weekly";
        public StreamReader? Template { get; set; }
    }

    private Task<SchedulerHarness> StartAsync() =>
        SchedulerHarness.StartAsync(azurite, SchedulerHarness.NewPrefix(), jobs => jobs.AddJob<RecordingJob>("record", "records its runs", "{\"note\":\"any\"}"),
            services: s => s.AddSingleton<RunRecorder>());

    [Fact]
    public async Task AddOrUpdate_RejectsLiveArgs_NamingTheMember_AndWritesNothing()
    {
        // Arrange
        await using var harness = await StartAsync();
        var file = Path.GetTempFileName();
        using var reader = new StreamReader(file);

        // Act
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => harness.Admin.AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "record", Cron = "0 9 * * MON", Args = new ReportArgs { Template = reader },
        }));

        // Assert
        Assert.Contains("Args.Template is declared as an open reader or writer (StreamReader)", ex.Message);
        Assert.Contains("put a blob path in Args", ex.Message);
        Assert.Null(await harness.Services.GetRequiredService<DefinitionStore>().GetAsync(Key));
    }

    [Fact]
    public async Task AddOrUpdate_RejectsInvalidSpec_AndWritesNothing()
    {
        // Arrange
        await using var harness = await StartAsync();

        // Act
        var ex = await Assert.ThrowsAsync<ScheduleValidationException>(() => harness.Admin.AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "record", Cron = "0 9 * *", TimeZone = "Atlantis/Capital",
        }));

        // Assert
        Assert.Equal(2, ex.Errors.Count);
        Assert.Null(await harness.Services.GetRequiredService<DefinitionStore>().GetAsync(Key));
    }

    [Fact]
    public async Task AddPauseResumeRemove_RoundTripThroughTheTable()
    {
        // Arrange
        await using var harness = await StartAsync();
        await harness.Admin.AddOrUpdateAsync(Key, new ScheduleSpec
        {
            Job = "record", Cron = "0 9 * * MON", TimeZone = "Europe/London", Args = new { title = "weekly", recipients = new[] { "ops@example.com" } },
            MaxAttempts = 3, Description = "the Monday report",
        });
        var stored = (await harness.Services.GetRequiredService<DefinitionStore>().GetAsync(Key))!;
        await harness.Dispatcher.TickAsync();

        // Act
        await harness.Admin.PauseAsync(Key, "quarter close");
        await harness.Dispatcher.TickAsync();
        var paused = (await harness.States.GetAsync(Key))!.State;
        await harness.Admin.ResumeAsync(Key);
        await harness.Dispatcher.TickAsync();
        var resumed = (await harness.States.GetAsync(Key))!.State;
        var preview = await harness.Admin.PreviewAsync(Key, 3, DateTimeOffset.Parse("2026-10-20T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await harness.Admin.RemoveAsync(Key);
        await harness.Dispatcher.TickAsync();

        // Assert
        Assert.Equal("{\"title\":\"weekly\",\"recipients\":[\"ops@example.com\"]}", stored.GetString(ScheduleColumns.Args));
        Assert.Equal(ScheduleStatus.Paused, paused.Status);
        Assert.Contains("\"PauseNote\":\"quarter close\"", paused.Definition);
        Assert.Equal(ScheduleStatus.Active, resumed.Status);
        Assert.Equal(["2026-10-26T09:00:00Z", "2026-11-02T09:00:00Z", "2026-11-09T09:00:00Z"], preview.Select(p => p.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(ScheduleStatus.Deleted, (await harness.States.GetAsync(Key))!.State.Status);
    }

    [Fact]
    public async Task TriggerNow_RunsThroughTheClaimPath()
    {
        // Arrange
        await using var harness = await StartAsync();
        await harness.Admin.AddOrUpdateAsync(Key, new ScheduleSpec { Job = "record", Cron = "0 0 1 1 *" });
        await harness.Dispatcher.TickAsync();

        // Act
        var requested = await harness.Admin.TriggerNowAsync(Key);
        var tick = await harness.Dispatcher.TickAsync();

        // Assert
        Assert.Equal(1, tick.Claimed);
        var run = Assert.Single(await harness.States.ReadRunsAsync(Key));
        Assert.Equal((RunStatus.Succeeded, requested, "Manual"), (run.Status, run.Due, run.Reason));
    }

    [Fact]
    public async Task Initialize_PublishesTheJobCatalog()
    {
        // Arrange + Act
        await using var harness = await StartAsync();

        // Assert
        var jobs = await harness.Services.GetRequiredService<JobCatalogStore>().ListAsync();
        Assert.Equal([("record", "records its runs", "{\"note\":\"any\"}")], jobs.Select(j => (j.Name, j.Description, j.ExampleArgs)));
    }

    [Fact]
    public async Task Put_OverAVersionSomeoneChangedMeanwhile_WritesNothing_AndShowsTheRowAsItIsNow()
    {
        // Arrange: a tool reads the entry; then a person edits it in Storage Explorer
        await using var harness = await StartAsync();
        await harness.Admin.AddAsync(Key, new ScheduleSpec { Job = "record", Cron = "0 9 * * MON" }.ToColumns());
        var read = (await harness.Services.GetRequiredService<DefinitionStore>().GetAsync(Key))!;
        await harness.SchedulesTable.UpsertEntityAsync(new Azure.Data.Tables.TableEntity(Key.Group, Key.Id) { ["Job"] = "record", ["Cron"] = "0 10 * * MON" });

        // Act
        var conflict = await Assert.ThrowsAsync<ScheduleConflictException>(() =>
            harness.Admin.PutAsync(Key, new ScheduleSpec { Job = "record", Cron = "0 8 * * MON" }.ToColumns(), read.ETag));
        var added = await Assert.ThrowsAsync<ScheduleConflictException>(() =>
            harness.Admin.AddAsync(Key, new ScheduleSpec { Job = "record", Cron = "0 7 * * MON" }.ToColumns()));

        // Assert: the person's edit stands, and both refusals show it
        Assert.Contains("changed by someone else", conflict.Message);
        Assert.Equal("0 10 * * MON", conflict.Current![ScheduleColumns.Cron]);
        Assert.Contains("exists already", added.Message);
        Assert.Equal("0 10 * * MON", (await harness.Services.GetRequiredService<DefinitionStore>().GetAsync(Key))!.GetString("Cron"));
    }

    [Fact]
    public async Task Backfill_ThatWouldGrowTheWaitingRunsPastTheLimit_IsRefusedWithTheNumbers()
    {
        // Arrange: an every-minute schedule with 500 backfilled runs waiting
        await using var harness = await StartAsync();
        await harness.Admin.AddOrUpdateAsync(Key, new ScheduleSpec { Job = "record", Cron = "* * * * *", Enabled = false });
        await harness.Dispatcher.TickAsync();
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        var end = new DateTimeOffset(yesterday.Year, yesterday.Month, yesterday.Day, yesterday.Hour, yesterday.Minute, 0, TimeSpan.Zero);
        await harness.Admin.BackfillAsync(Key, end.AddMinutes(-499), end);

        // Act
        var error = await Assert.ThrowsAsync<ArgumentException>(() => harness.Admin.BackfillAsync(Key, end.AddHours(-12), end.AddHours(-12).AddMinutes(199)));

        // Assert
        Assert.Contains($"already has 500 runs waiting; 200 more would pass the limit of {DuePlanner.MaxPending}", error.Message);
        Assert.Equal(500, (await harness.States.GetAsync(Key))!.State.Pending.Count);
    }
}
