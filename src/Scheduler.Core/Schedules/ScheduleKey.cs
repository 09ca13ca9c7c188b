namespace Scheduler.Schedules;

/// <summary>Identity of a schedule: the Schedules table's PartitionKey (group) and RowKey (id).</summary>
public readonly record struct ScheduleKey(string Group, string Id)
{
    public const string DefaultGroup = "default";
    private const char Separator = '|';

    /// <summary>One string naming the schedule, used as the dispatcher's partition key: <c>group|id</c>.</summary>
    public string Value => Group + Separator + Id;

    public static ScheduleKey Parse(string value) =>
        TryParse(value, out var key) ? key : throw new FormatException($"\"{value}\" is not a schedule key; expected group|id.");

    public static bool TryParse(string? value, out ScheduleKey key)
    {
        var at = value?.IndexOf(Separator, StringComparison.Ordinal) ?? -1;
        key = at <= 0 || at == value!.Length - 1 ? default : new ScheduleKey(value[..at], value[(at + 1)..]);
        return at > 0 && at < value!.Length - 1;
    }

    public override string ToString() => Group == DefaultGroup ? Id : Value;
}
