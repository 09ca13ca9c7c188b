using System.Net;
using Scheduler.Functions.Dashboard;
using Scheduler.Functions.Tests.Fixtures;

namespace Scheduler.Functions.Tests;

public sealed class DashboardAccessTests
{
    private static readonly DashboardOptions Options = new();

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static readonly Func<string, string?> Local = Environment();
    private static readonly Func<string, string?> AzureWithAuth = Environment(("WEBSITE_SITE_NAME", "func-scheduler"), ("WEBSITE_AUTH_ENABLED", "True"));

    [Fact]
    public void Locally_ALoopbackCallerWithoutAPrincipal_IsAnOperator() =>
        Assert.Equal(new DashboardUser("local user", true, true), DashboardAccess.Resolve(Options, IPAddress.Loopback, null, null, null, Local));

    [Theory]
    [InlineData("10.1.2.3", null)]
    [InlineData("127.0.0.1", "203.0.113.9")]
    [InlineData("127.0.0.1", "127.0.0.1, 203.0.113.9:5123")]
    public void Locally_ACallerFromAnotherMachine_IsRefused(string remote, string? forwardedFor)
    {
        var user = DashboardAccess.Resolve(Options, IPAddress.Parse(remote), forwardedFor, null, null, Local);

        Assert.False(user.CanSee);
        Assert.Contains("answers this machine only", user.Refusal);
    }

    [Fact]
    public void Locally_ForwardedByALoopbackProxy_IsServed() =>
        Assert.True(DashboardAccess.Resolve(Options, IPAddress.Loopback, "127.0.0.1:51000, [::1]:7071", null, null, Local).CanAct);

    [Fact]
    public void InAzure_WithoutAppServiceAuthentication_NothingIsServed_EvenWithAForgedPrincipal()
    {
        var user = DashboardAccess.Resolve(Options, IPAddress.Loopback, null, DashboardHost.Principal("mallory", "Scheduler.Operator"), null,
            Environment(("WEBSITE_SITE_NAME", "func-scheduler")));

        Assert.False(user.CanSee);
        Assert.Contains("App Service Authentication is off", user.Refusal);
    }

    [Theory]
    [InlineData(new[] { "Scheduler.Reader" }, true, false)]
    [InlineData(new[] { "Scheduler.Operator" }, true, true)]
    [InlineData(new[] { "Scheduler.Reader", "Scheduler.Operator" }, true, true)]
    [InlineData(new[] { "Other.Role" }, false, false)]
    [InlineData(new string[0], false, false)]
    public void InAzure_TheAppRolesDecide(string[] roles, bool canSee, bool canAct)
    {
        var user = DashboardAccess.Resolve(Options, IPAddress.Parse("169.254.1.1"), "198.51.100.7", DashboardHost.Principal("dana", roles), "dana@contoso.example", AzureWithAuth);

        Assert.Equal((canSee, canAct), (user.CanSee, user.CanAct));
        Assert.Equal(canSee ? null : "dana@contoso.example has neither app role Scheduler.Reader (to see) nor Scheduler.Operator (to act); ask an owner of the app registration to assign one", user.Refusal);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("bm90IGpzb24=")] // "not json"
    public void APrincipalHeaderThatDoesNotRead_IsRefusedWithAMessage(string header)
    {
        var user = DashboardAccess.Resolve(Options, IPAddress.Loopback, null, header, null, AzureWithAuth);

        Assert.False(user.CanSee);
        Assert.StartsWith("the X-MS-CLIENT-PRINCIPAL header does not read", user.Refusal);
    }

    [Fact]
    public void InAzure_NoSignedInUser_IsRefused() =>
        Assert.Contains("no signed-in user", DashboardAccess.Resolve(Options, IPAddress.Loopback, null, null, null, AzureWithAuth).Refusal);
}
