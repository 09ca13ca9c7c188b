namespace Scheduler.Functions.Dashboard;

/// <summary>Who is asking, and what they may do.</summary>
internal sealed record DashboardUser(string Name, bool CanSee, bool CanAct)
{
    /// <summary>Someone the dashboard serves nothing: <see cref="Refusal"/> says why and what to change.</summary>
    public static DashboardUser Refused(string why) => new("", false, false) { Refusal = why };

    public string? Refusal { get; init; }
}
