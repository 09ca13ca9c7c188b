using Scheduler.Hosting;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Storage;
using Scheduler.Triggers;

namespace Scheduler.Dispatch;

/// <summary>
/// Validates the definition snapshot a state was planned from, cached by the definition's ETag (a schedule that runs
/// often is parsed once an edit, not once a run), and builds the one kind of planner this process uses.
/// </summary>
internal sealed class DefinitionResolver(JobCatalog catalog, SchedulerOptions options)
{
    /// <summary>
    /// Parsed definitions kept, twice over (<see cref="RecentCache{TKey, TValue}"/>): about 500 bytes each, so some 4 MB,
    /// where keeping one a schedule held 48 MB more at 100,000 once each had run. A parse costs about 10 µs: 10,000
    /// due together each minute, all parsed again, started as soon as before (p99 0.70 and 0.72 s; 0.57 and 0.85 s
    /// with every one kept). The cache spares the parse for the schedules that run every few seconds.
    /// </summary>
    internal const int CacheGeneration = 4_096;

    private readonly RecentCache<(string Key, long Version), (ScheduleDefinition? Definition, IReadOnlyList<string> Errors)> _cache = new(CacheGeneration);

    internal int Cached => _cache.Count;

    public ValidationContext Validation => catalog.Validation;

    /// <summary>
    /// The planner for <paramref name="definition"/> with this process's instance id, lease and dispatch mode. A lease
    /// outlasts the abandon grace: a handler that ignores its timeout is recorded (and keeps its place) before anyone
    /// may presume its instance dead and run the occurrence again.
    /// </summary>
    public DuePlanner PlannerFor(ScheduleDefinition definition) =>
        DuePlanner.For(definition, options.InstanceId, options.AbandonGrace + options.LeaseMargin, queueClaims: options.Dispatch == DispatchMode.Queue);

    public bool TryResolve(ScheduleKey key, ScheduleState state, out ScheduleDefinition? definition, out IReadOnlyList<string> errors)
    {
        if (state.Definition is null)
        {
            definition = null;
            errors = ["the state row holds no definition"];
            return false;
        }

        var version = state.DefinitionETag is { } etag ? EntryVersion.Of(etag) : 0;
        var entry = _cache.GetOrAdd((key.Value, version), static (_, parse) =>
        {
            ScheduleValidator.TryValidate(parse.Key, ColumnSnapshot.Deserialize(parse.Snapshot), parse.Validation, out var resolved, out var problems);
            return (resolved, problems);
        }, (Key: key, Snapshot: state.Definition, catalog.Validation));

        definition = entry.Definition;
        errors = entry.Errors;
        return definition is not null;
    }
}
