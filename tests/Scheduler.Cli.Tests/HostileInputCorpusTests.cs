using Azure.Data.Tables;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Xunit.Abstractions;

namespace Scheduler.Cli.Tests;

/// <summary>
/// The CLI over hundreds of bad arguments and hostile rows: every one ends with a documented exit code (0 ok, 1 found
/// problems, 2 a mistake to fix, 3 storage) and a message, never an unhandled exception or the "bug" code 4.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Azurite")]
public sealed class HostileInputCorpusTests(AzuriteFixture azurite, ITestOutputHelper log)
{
    private static readonly string[] HostileIds =
    [
        "", " ", "a/b", "a\\b", "#x", "what?", "nul\0byte", "tab\there", "new\nline", new string('x', 2000), "..", ".", "default|x",
        "|", "[red]markup[/]", "{0}{1}", "%s%n", "😀", "\u202Eevil", "a|b|c", "-", "--", "--help-me",
    ];

    private static readonly string[][] BadArguments =
    [
        [], ["frobnicate"], ["schedules"], ["schedules", "frob"], ["--bogus"], ["schedules", "list", "--bogus"], ["schedules", "list", "--status"],
        ["schedules", "list", "--status", "Sleeping"], ["schedules", "list", "--status", "42"], ["schedules", "show"], ["schedules", "add"],
        ["schedules", "add", "x"], ["schedules", "add", "x", "--job"], ["schedules", "next", "x", "-n", "abc"], ["schedules", "next", "x", "-n", "-5"],
        ["schedules", "next", "x", "-n", "99999999999999"], ["schedules", "next", "x", "--from", "not a date"], ["schedules", "backfill", "x"],
        ["schedules", "backfill", "x", "--from", "2026-01-01", "--to", "garbage"], ["schedules", "backfill", "x", "--from", "2026-02-01T00:00:00Z", "--to", "2026-01-01T00:00:00Z"],
        ["runs"], ["runs", "x", "--last", "0"], ["runs", "x", "--last", "-1"], ["runs", "x", "--last", "x"], ["runs", "x", "--status", "Bogus"],
        ["audit"], ["audit", "--from", "yesterday"], ["audit", "--from", "2026-01-01T00:00:00Z", "--settle", "-1"], ["audit", "--from", "9999-12-31T23:59:59Z"],
        ["audit", "--from", "0001-01-01T00:00:00Z", "--to", "9999-12-31T23:59:59Z", "--settle", "0"], ["preview"], ["preview", "--cron"], ["preview", "--cron", "* * *"],
        ["preview", "--cron", "99 * * * *"], ["preview", "--every", "100000000d"], ["preview", "--every", "99999999999999999999s"], ["preview", "--every", "-5m"],
        ["preview", "--every", "0s"], ["preview", "--at", "yesterday"], ["preview", "--cron", "0 9 * * *", "--tz", "Mars/Olympus_Mons"], ["preview", "--cron", "0 9 * * *", "-n", "0"],
        ["preview", "--cron", "0 9 * * *", "-n", "100000000"], ["preview", "--cron", "0 9 * * *", "--dst-policy", "Sideways"], ["preview", "--cron", "0 9 * * *", "--from", "0001-01-01T00:00:00Z"],
        ["preview", "--cron", "0 9 * * *", "--from", "9999-12-31T23:59:59Z"], ["preview", "--every", "1d", "--at", "2026-01-01T00:00:00Z"], ["import"], ["import", "/no/such/file.json"],
        ["import", "/"], ["export"], ["export", "/proc/no-such-dir/out.json"], ["doctor", "--clear-quarantine", "yes"], ["jobs", "extra"], ["--connection", "not=a;connection=string", "jobs"],
        ["--account-url", "ftp://nowhere", "jobs"], ["--account-url", "https://x.notastorage.example.com", "jobs"],
    ];

    private static IEnumerable<string[]> AddArguments()
    {
        string[][] bad =
        [
            ["--cron", "* * *"], ["--cron", "0 25 * * *"], ["--cron", "0 0 31 2 *"], ["--every", "100000000d"], ["--every", "1000000000000000000d"], ["--every", "-1s"],
            ["--every", "12:99:00"], ["--at", "2026-13-45T99:00:00Z"], ["--at", "0001-01-01T00:00:00Z"], ["--cron", "0 9 * * *", "--tz", "Not/AZone"],
            ["--cron", "0 9 * * *", "--args", "{"], ["--cron", "0 9 * * *", "--args", "[]"], ["--cron", "0 9 * * *", "--args", "\"text\""], ["--cron", "0 9 * * *", "--args", "{\"a\":" + new string('[', 5000)],
            ["--cron", "0 9 * * *", "--args", "{\"x\":\"" + new string('y', 20_000) + "\"}"], ["--cron", "0 9 * * *", "--input", "../etc"], ["--cron", "0 9 * * *", "--input", "imports/../secrets/"],
            ["--cron", "0 9 * * *", "--input", "secrets/x"], ["--cron", "0 9 * * *", "--max-attempts", "0"], ["--cron", "0 9 * * *", "--max-attempts", "abc"],
            ["--cron", "0 9 * * *", "--max-attempts", "99999999999999999999"], ["--cron", "0 9 * * *", "--timeout", "-1"], ["--cron", "0 9 * * *", "--jitter", "1e9"],
            ["--cron", "0 9 * * *", "--overlap", "Sometimes"], ["--cron", "0 9 * * *", "--coalesce", "Maybe"], ["--cron", "0 9 * * *", "--dst", "Sideways"],
            ["--cron", "0 9 * * *", "--start", "later"], ["--cron", "0 9 * * *", "--start", "2027-01-01T00:00:00Z", "--end", "2026-01-01T00:00:00Z"],
            ["--cron", "0 9 * * *", "--every", "5m"], ["--job", "heartbeat"],
        ];
        foreach (var options in bad)
        {
            yield return ["schedules", "add", "corpus", "--job", "heartbeat", .. options];
            yield return ["schedules", "set", "corpus", .. options];
        }
    }

    private static IEnumerable<string[]> IdArguments() => HostileIds.SelectMany(id => new[]
    {
        new[] { "schedules", "show", id }, ["runs", id], ["schedules", "next", id], ["schedules", "pause", id], ["schedules", "run", id],
        ["schedules", "add", id, "--job", "heartbeat", "--every", "5m"],
    });

    /// <summary>Rows a person or a tool could write into each table the CLI reads.</summary>
    private static async Task WriteHostileRowsAsync(CliHarness cli, SchedulerTables tables)
    {
        object[] values = [42, 3.5, true, Guid.NewGuid(), new byte[] { 0, 1, 2 }, DateTimeOffset.UnixEpoch, "", "garbage", "{", "[[1,2]]", "null", new string('z', 30_000), 1L << 62];
        string[] scheduleColumns = ["Job", "Cron", "Interval", "RunAt", "TimeZone", "Args", "Input", "Enabled", "StartAt", "EndAt", "MaxAttempts", "TimeoutSeconds", "Overlap", "Jitter" + "Seconds"];
        string[] stateColumns = ["Status", "InFlight", "Pending", "NextDue", "LastDue", "WakeAt", "Job", "Definition", "DefinitionETag", "Timing", "LastStatus", "LastFinishedAt", "Error"];
        var i = 0;
        foreach (var column in scheduleColumns)
        {
            foreach (var value in values.Take(6))
            {
                await cli.Schedules.UpsertEntityAsync(new TableEntity("default", $"row{i++}") { ["Job"] = "heartbeat", ["Cron"] = "0 9 * * *", [column] = value });
            }
        }

        await cli.Dispatcher.TickAsync();
        var keys = (await cli.States.ListAsync()).Select(s => s.Key).ToList();
        var layout = await cli.States.LayoutAsync();
        foreach (var (column, n) in stateColumns.Select((c, n) => (c, n)))
        {
            var row = layout.StateEntity(keys[n % keys.Count]);
            row[column] = values[n % values.Length];
            await tables.State.UpdateEntityAsync(row, Azure.ETag.All, TableUpdateMode.Merge);
        }

        foreach (var (value, n) in values.Select((v, n) => (v, n)))
        {
            var key = keys[n % keys.Count];
            var at = new DateTimeOffset(n, TimeSpan.Zero);
            await tables.State.UpsertEntityAsync(new TableEntity(layout.Partition(key), layout.RunRow(key, at, 1)) { ["Status"] = value, ["Due"] = value, ["Attempt"] = value, ["Count"] = value });
            await tables.State.UpsertEntityAsync(new TableEntity(layout.Partition(key), layout.EditRow(key, at, "x")) { ["Change"] = value, ["DetectedAt"] = value });
        }

        await tables.State.UpsertEntityAsync(new TableEntity(ShardedLayout.ShardPartition(0), "state|no-bar") { ["Status"] = "Active" });
        await tables.DueIndex.UpsertEntityAsync(new TableEntity(DueIndex.LegacyPartition, "0000000000000000001"));
        await tables.DueIndex.UpsertEntityAsync(new TableEntity(DueIndex.ShardPartition(0), "zzzz|default|x"));
        await tables.DueIndex.UpsertEntityAsync(new TableEntity(ShardStore.Partition, "lease-99") { ["Owner"] = 5 });
        await tables.DueIndex.UpsertEntityAsync(new TableEntity("other", "x"));
        await tables.Jobs.UpsertEntityAsync(new TableEntity(JobCatalogStore.SettingsPartition, "validation") { ["AllowedContainers"] = 5, ["MaxTimeoutSeconds"] = "x" });
        await tables.Jobs.UpsertEntityAsync(new TableEntity(JobCatalogStore.Partition, "[odd]") { ["Description"] = 7, ["ExampleArgs"] = true });
        await tables.Jobs.UpsertEntityAsync(new TableEntity("quarantine", "bogus") { ["Table"] = 1, ["LastSeenAt"] = "x" });
    }

    [Fact]
    public async Task TheCli_NeverEndsWithAnUnhandledException_OverBadArgumentsAndHostileRows()
    {
        // Arrange
        await using var cli = await CliHarness.StartAsync(azurite);
        var tables = cli.Tables;
        await WriteHostileRowsAsync(cli, tables);
        var ids = (await cli.States.ListAsync()).Select(s => s.Key.Id).Take(40).ToList();
        var export = Path.Combine(Path.GetTempPath(), $"corpus-{Guid.NewGuid():N}.json");
        var overRows = ids.SelectMany(id => new[] { new[] { "schedules", "show", id }, ["runs", id], ["schedules", "next", id] })
            .Concat([["schedules", "list"], ["schedules", "list", "--json"], ["doctor"], ["doctor", "--json"], ["jobs"], ["jobs", "--json"], ["export", export], ["import", export],
                ["audit", "--from", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"), "--settle", "0"], ["audit", "--from", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"), "--settle", "0", "--json"]]);
        var corpus = BadArguments.Concat(AddArguments()).Concat(IdArguments()).Concat(overRows).ToList();

        // Act
        var outcomes = new List<(string[] Args, int Code, string Err)>();
        foreach (var args in corpus)
        {
            var (code, _, err) = await cli.RunAsync(args);
            outcomes.Add((args, code, err));
        }

        // Assert
        log.WriteLine($"tried {corpus.Count} command lines ({BadArguments.Length + AddArguments().Count() + IdArguments().Count()} bad arguments, the rest over {ids.Count} schedules with hostile rows); exit codes: " +
            string.Join(", ", outcomes.GroupBy(o => o.Code).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.True(corpus.Count >= 200, $"only {corpus.Count} tried");
        var undocumented = outcomes.Where(o => o.Code is < 0 or > 3).Select(o => $"exit {o.Code} for `{string.Join(' ', o.Args.Select(a => a.Length > 40 ? a[..40] + "…" : a))}`: {o.Err}").ToList();
        Assert.True(undocumented.Count == 0, string.Join("\n", undocumented));
        Assert.All(outcomes.Where(o => o.Code == 2), o => Assert.StartsWith("error: ", o.Err, StringComparison.Ordinal));
        Assert.All(outcomes, o => Assert.DoesNotContain("   at ", o.Err, StringComparison.Ordinal));
        Assert.All(outcomes, o => Assert.DoesNotContain("'System.", o.Err, StringComparison.Ordinal));
        File.Delete(export);
    }
}
