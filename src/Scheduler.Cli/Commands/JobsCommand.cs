using System.CommandLine;

namespace Scheduler.Cli.Commands;

/// <summary>`scheduler jobs`: the catalog the app published at start-up.</summary>
internal static class JobsCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("jobs", "The registered jobs (published by the app at start-up) with their description and example Args.\n\nExample: scheduler jobs");
        command.SetAction(context.With(async (session, output, parse, ct) =>
        {
            var jobs = await session.Catalog.ListAsync(ct);
            if (output.Json)
            {
                output.WriteJson(jobs.Select(j => new { name = j.Name, description = j.Description, exampleArgs = j.ExampleArgs }));
            }
            else if (jobs.Count == 0)
            {
                output.Line("no jobs are published: start the app (it publishes its catalog at start-up) against these tables");
            }
            else
            {
                output.Table("jobs", ["name", "description", "example Args"], jobs.Select(j => (IReadOnlyList<string?>)[j.Name, j.Description, j.ExampleArgs]));
            }

            return 0;
        }));
        return command;
    }
}
