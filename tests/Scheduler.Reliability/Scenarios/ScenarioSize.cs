namespace Scheduler.Reliability.Scenarios;

/// <summary>
/// How long and how hard each scenario runs: <see cref="Quick"/> in CI (each window long enough for every kind of
/// schedule to fire, retry and settle several times; CI's 20 minutes bound the sum), <see cref="Soak"/> by hand.
/// </summary>
internal sealed record ScenarioSize(
    string Name,
    int CrashSchedules,
    int Kills,
    int Outages,
    TimeSpan OutageLength,
    int ConcurrentHosts,
    TimeSpan ConcurrencyRun,
    int FuzzEntries,
    TimeSpan FuzzRun,
    TimeSpan PoisonRun,
    int Seed,
    (int Min, int Max) KillAfterReady,
    TimeSpan QueueRun,
    int EditedSchedules,
    TimeSpan EditRun,
    TimeSpan HostileRun)
{
    public static ScenarioSize Quick { get; } = new("quick", 100, 10, 1, TimeSpan.FromSeconds(15), 4, TimeSpan.FromSeconds(15), 1000, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(35), 7, (1000, 6000), TimeSpan.FromSeconds(20), 40, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(20));

    public static ScenarioSize Soak { get; } = new("soak", 120, 30, 3, TimeSpan.FromSeconds(20), 4, TimeSpan.FromMinutes(3), 1000, TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(2), 11, (2000, 8000), TimeSpan.FromMinutes(2), 100, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2));
}
