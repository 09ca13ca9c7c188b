using System.Collections.Concurrent;

namespace Scheduler.Dispatch;

/// <summary>
/// A cache that holds at most two generations of <c>generation</c> entries: when the current one fills, it becomes the
/// previous one and the old previous one is dropped. An entry found in the previous generation moves to the current
/// one, so what is used often stays and what was used once goes within two generations. (One entry a schedule, kept
/// for good, grew with every schedule that ran: 48 MB at 100,000.)
/// </summary>
internal sealed class RecentCache<TKey, TValue>(int generation)
    where TKey : notnull
{
    private readonly Lock _turning = new();
    private ConcurrentDictionary<TKey, TValue> _current = new();
    private ConcurrentDictionary<TKey, TValue> _previous = new();

    /// <summary>Entries held now, both generations (an entry moving between them may count twice).</summary>
    public int Count => _current.Count + _previous.Count;

    /// <param name="argument">Passed to <paramref name="create"/>, so a hit allocates no closure.</param>
    public TValue GetOrAdd<TArgument>(TKey key, Func<TKey, TArgument, TValue> create, TArgument argument)
    {
        if (_current.TryGetValue(key, out var value))
        {
            return value;
        }

        if (!_previous.TryGetValue(key, out value))
        {
            value = create(key, argument);
        }

        Add(key, value);
        return value;
    }

    private void Add(TKey key, TValue value)
    {
        var current = _current;
        if (current.Count >= generation)
        {
            lock (_turning)
            {
                if (ReferenceEquals(current, _current))
                {
                    _previous = current;
                    _current = new ConcurrentDictionary<TKey, TValue>();
                }
            }
        }

        _current[key] = value;
    }
}
