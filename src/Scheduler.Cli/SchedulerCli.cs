using System.CommandLine;
using System.CommandLine.Invocation;
using Azure;
using Scheduler.Admin;
using Scheduler.Cli.Commands;
using Scheduler.Schedules;

namespace Scheduler.Cli;

/// <summary>The `scheduler` command line. Runs in-process with the writers it is given, so tests see exactly what a user sees.</summary>
public static class SchedulerCli
{
    internal static readonly Option<string?> Connection = new("--connection") { Description = "Storage connection string (default: $SCHEDULER_STORAGE, else local development storage)", Recursive = true };
    internal static readonly Option<string?> AccountUrl = new("--account-url") { Description = "Account endpoint such as https://<account>.table.core.windows.net, signed in with DefaultAzureCredential ($SCHEDULER_ACCOUNT_URL)", Recursive = true };
    internal static readonly Option<string?> TablePrefix = new("--table-prefix") { Description = "Prefix of the scheduler's table names, as in Scheduler:Tables:Prefix ($SCHEDULER_TABLE_PREFIX)", Recursive = true };
    internal static readonly Option<bool> Json = new("--json") { Description = "Machine-readable JSON output", Recursive = true };

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Edit, inspect and validate Scheduler schedules: the same table entries a person edits by hand, checked by the dispatcher's own validator.\n\nExample: scheduler schedules list --status Invalid");
        root.Add(Connection);
        root.Add(AccountUrl);
        root.Add(TablePrefix);
        root.Add(Json);
        var context = new CommandContext(output, error, environment);
        root.Add(ScheduleCommands.Create(context));
        root.Add(RunsCommand.Create(context));
        root.Add(DoctorCommand.Create(context));
        root.Add(AuditCommand.Create(context));
        root.Add(JobsCommand.Create(context));
        root.Add(PreviewCommand.Create(context));
        root.Add(TransferCommands.Export(context));
        root.Add(TransferCommands.Import(context));

        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            return UsageErrors.Report(parsed, error);
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
    }
}

/// <summary>What every command action needs: the writers, the environment, and the way to run with a session.</summary>
internal sealed class CommandContext(TextWriter output, TextWriter error, Func<string, string?> environment)
{
    /// <summary>Runs a command body with an open session; user mistakes become one line on stderr and exit code 2.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> With(Func<CliSession, Output, ParseResult, CancellationToken, Task<int>> body) =>
        Guarded(async (options, writer, parse, cancellationToken) =>
        {
            await using var session = await CliSession.OpenAsync(options, environment, cancellationToken);
            return await body(session, writer, parse, cancellationToken);
        });

    /// <summary>A command that needs no storage (such as `preview`), with the same error handling as the others.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Offline(Func<Output, ParseResult, int> body) =>
        Guarded((_, writer, parse, _) => Task.FromResult(body(writer, parse)));

    private Func<ParseResult, CancellationToken, Task<int>> Guarded(Func<GlobalOptions, Output, ParseResult, CancellationToken, Task<int>> body) =>
        async (parse, cancellationToken) =>
        {
            var options = new GlobalOptions(parse.GetValue(SchedulerCli.Connection), parse.GetValue(SchedulerCli.AccountUrl), parse.GetValue(SchedulerCli.TablePrefix), parse.GetValue(SchedulerCli.Json));
            var writer = new Output(output, error, options.Json);
            try
            {
                return await body(options, writer, parse, cancellationToken);
            }
            catch (ScheduleConflictException ex)
            {
                error.WriteLine($"error: {ex.Message}");
                error.WriteLine(ex.Current is null ? "it no longer exists" : "as it is now:");
                foreach (var (name, value) in ex.Current?.OrderBy(c => c.Key, StringComparer.Ordinal) ?? Enumerable.Empty<KeyValuePair<string, object?>>())
                {
                    error.WriteLine($"  {name} = {Commands.Times.Format(value)}");
                }

                return 2;
            }
            catch (Exception ex) when (ex is CliUserException or ScheduleValidationException or ArgumentException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                error.WriteLine($"error: {(ex is KeyNotFoundException k ? k.Message.Trim('\'') : ex.Message)}");
                return 2;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {ex.Message}; check the file's path and permissions");
                return 2;
            }
            catch (RequestFailedException ex)
            {
                error.WriteLine($"error: storage answered {ex.Status} {ex.ErrorCode}: {ex.Message.Split('\n')[0]}");
                return 3;
            }
            catch (Exception ex) when (ex is HttpRequestException or Azure.Identity.AuthenticationFailedException or AggregateException)
            {
                var cause = ex is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[^1].Message : ex.Message;
                error.WriteLine($"error: cannot reach storage ({cause.Split('\n')[0]}); check --connection or --account-url");
                return 3;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                error.WriteLine("cancelled");
                return 130;
            }
            catch (Exception ex)
            {
                // Never an unhandled exception (exit 134 and a stack trace): one line, and an exit code scripts can tell apart.
                error.WriteLine($"error: unexpected {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                error.WriteLine("this is a bug in the scheduler CLI, not in your input; please report it with the command you ran");
                return 4;
            }
        };
}
