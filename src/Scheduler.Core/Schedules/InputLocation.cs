namespace Scheduler.Schedules;

/// <summary>A blob container and an optional name prefix that a schedule's runs may read.</summary>
internal sealed record InputLocation(string Container, string Prefix)
{
    public override string ToString() => Prefix.Length == 0 ? Container : $"{Container}/{Prefix}";
}
