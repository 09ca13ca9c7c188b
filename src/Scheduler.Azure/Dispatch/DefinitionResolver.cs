using System.Collections.Concurrent;
using Scheduler.Hosting;
using Scheduler.Planning;
using Scheduler.Schedules;
using Scheduler.Storage;
using Scheduler.Triggers;

namespace Scheduler.Dispatch;

/// <summary>
/// Validates the definition snapshot a state was planned from, cached by the definition's ETag (one parse per edit, not
/// per tick), and builds the one kind of planner this process uses.
/// </summary>
internal sealed class DefinitionResolver(JobCatalog catalog, SchedulerOptions options)
{
    private const int CacheLimit = 200_000;
    private readonly ConcurrentDictionary<(string Key, long Version), (ScheduleDefinition? Definition, IReadOnlyList<string> Errors)> _cache = new();

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

        var cacheKey = (key.Value, state.DefinitionETag is { } etag ? EntryVersion.Of(etag) : 0);
        if (!_cache.TryGetValue(cacheKey, out var entry))
        {
            ScheduleValidator.TryValidate(key, ColumnSnapshot.Deserialize(state.Definition), catalog.Validation, out var resolved, out var problems);
            entry = (resolved, problems);
            if (_cache.Count > CacheLimit)
            {
                _cache.Clear();
            }

            _cache[cacheKey] = entry;
        }

        definition = entry.Definition;
        errors = entry.Errors;
        return definition is not null;
    }
}
