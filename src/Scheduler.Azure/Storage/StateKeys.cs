using System.Globalization;

namespace Scheduler.Storage;

/// <summary>
/// Row keys of layout 2's per-schedule partitions, and the parts every layout's run and edit keys end with. Ledger and
/// edit rows sort newest first (reverse ticks), so "the last N runs" is a prefix read.
/// </summary>
internal static class StateKeys
{
    public const string State = "state";
    public const string RunPrefix = "run-";
    public const string EditPrefix = "edit-";

    public static string Run(DateTimeOffset due, int attempt) => RunPrefix + RunSuffix(due, attempt);

    public static string Edit(DateTimeOffset detectedAt, string instance) => EditPrefix + EditSuffix(detectedAt, instance);

    /// <summary>What tells one run of a schedule from another: its due time (newest first) and attempt.</summary>
    public static string RunSuffix(DateTimeOffset due, int attempt) => $"{Reverse(due)}-{attempt.ToString("D3", CultureInfo.InvariantCulture)}";

    /// <summary>What tells one edit of a schedule from another: when it was seen (newest first) and by which instance.</summary>
    public static string EditSuffix(DateTimeOffset detectedAt, string instance) => $"{Reverse(detectedAt)}-{instance}";

    /// <summary>The exclusive upper bound of keys starting with <paramref name="prefix"/>.</summary>
    public static string After(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    /// <summary>An instant as a row key part that sorts in time order: its UTC ticks, 19 digits. The one format every table uses.</summary>
    public static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>Like <see cref="Ticks"/>, newest first.</summary>
    private static string Reverse(DateTimeOffset at) => Ticks(new DateTimeOffset(DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks, TimeSpan.Zero));
}
