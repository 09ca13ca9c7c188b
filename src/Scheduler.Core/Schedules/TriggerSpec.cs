namespace Scheduler.Schedules;

/// <summary>When a schedule fires: exactly one of a cron expression, a fixed interval or a single instant.</summary>
internal abstract record TriggerSpec
{
    private TriggerSpec()
    {
    }

    public sealed record Cron(string Expression) : TriggerSpec
    {
        public override string ToString() => $"cron \"{Expression}\"";
    }

    public sealed record Interval(TimeSpan Every) : TriggerSpec
    {
        public override string ToString() => $"every {Every}";
    }

    public sealed record Once(DateTimeOffset At) : TriggerSpec
    {
        public override string ToString() => $"once at {At:O}";
    }
}
