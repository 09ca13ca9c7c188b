using System.Collections.Concurrent;
using Scheduler.Azure.Hosting;
using Scheduler.Planning;
using Scheduler.Schedules;

namespace Scheduler.Azure.Dispatch;

/// <summary>Validates the definition snapshot a state was planned from, cached by the definition's ETag (one parse per edit, not per tick).</summary>
public sealed class DefinitionResolver(JobCatalog catalog)
{
    private const int CacheLimit = 200_000;
    private readonly ConcurrentDictionary<string, (ScheduleDefinition? Definition, IReadOnlyList<string> Errors)> _cache = new(StringComparer.Ordinal);

    public ValidationContext Validation => catalog.Validation;

    public bool TryResolve(ScheduleKey key, ScheduleState state, out ScheduleDefinition? definition, out IReadOnlyList<string> errors)
    {
        if (state.Definition is null)
        {
            definition = null;
            errors = ["the state row holds no definition"];
            return false;
        }

        var cacheKey = $"{key.Value}\n{state.DefinitionETag}";
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
