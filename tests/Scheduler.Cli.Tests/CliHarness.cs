using Scheduler.Development;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Dispatch;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;
using Scheduler.Jobs;

namespace Scheduler.Cli.Tests;

public sealed class NoopJob : IJob
{
    public Task RunAsync(JobContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>An app (catalog published, dispatcher to tick) and the CLI, in-process, over tables with a per-test prefix.</summary>
internal sealed class CliHarness : IAsyncDisposable
{
    private readonly ServiceProvider _app;
    private readonly AzuriteFixture _azurite;

    private CliHarness(ServiceProvider app, AzuriteFixture azurite, string prefix)
    {
        _app = app;
        _azurite = azurite;
        Prefix = prefix;
    }

    public string Prefix { get; }
    public Dispatcher Dispatcher => _app.GetRequiredService<Dispatcher>();
    public StateStore States => _app.GetRequiredService<StateStore>();
    public TableClient Schedules => _app.GetRequiredService<SchedulerTables>().Schedules;
    public TableClient StateTable => _app.GetRequiredService<SchedulerTables>().State;
    public SchedulerTables Tables => _app.GetRequiredService<SchedulerTables>();

    public static async Task<CliHarness> StartAsync(AzuriteFixture azurite)
    {
        var prefix = "c" + Guid.NewGuid().ToString("N")[..10];
        var options = new SchedulerOptions { Tables = new TableNames { Prefix = prefix } };
        options.Inputs.AllowedContainers.Add("imports");
        var provider = await SchedulerServices.StartAsync(azurite.ConnectionString, options, jobs => jobs
            .AddJob<NoopJob>("heartbeat", "writes a row", "{\"table\":\"Heartbeats\"}")
            .AddJob<NoopJob>("file-import", "imports CSV files", "{\"table\":\"Customers\"}"));
        return new CliHarness(provider, azurite, prefix);
    }

    public async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await SchedulerCli.RunAsync([.. args, "--connection", _azurite.ConnectionString, "--table-prefix", Prefix], output, error, _ => null);
        return (code, output.ToString(), error.ToString());
    }

    public async Task<List<TableEntity>> EntriesAsync() => await Schedules.QueryAsync<TableEntity>().ToListAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
