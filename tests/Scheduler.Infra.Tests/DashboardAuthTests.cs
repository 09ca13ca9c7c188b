using System.Text.Json;

namespace Scheduler.Infra.Tests;

/// <summary>The dashboard's sign-in as code: App Service Authentication with Microsoft Entra ID, no secret, required for every request.</summary>
public sealed class DashboardAuthTests
{
    private static JsonElement Auth() => Bicep.Single("Microsoft.Web/sites/config");

    [Fact]
    public void SignInIsRequired_WithMicrosoftEntraId_ForEveryRequest()
    {
        var properties = Auth().GetProperty("properties");
        var validation = properties.GetProperty("globalValidation");

        Assert.Contains("'authsettingsV2'", Auth().GetProperty("name").GetString());
        Assert.True(validation.GetProperty("requireAuthentication").GetBoolean());
        Assert.Equal("RedirectToLoginPage", validation.GetProperty("unauthenticatedClientAction").GetString());
        Assert.True(properties.GetProperty("identityProviders").GetProperty("azureActiveDirectory").GetProperty("enabled").GetBoolean());
        Assert.True(properties.GetProperty("httpSettings").GetProperty("requireHttps").GetBoolean());
    }

    [Fact]
    public void SignInUsesTheAppsManagedIdentity_NotAClientSecret()
    {
        var registration = Auth().GetProperty("properties").GetProperty("identityProviders").GetProperty("azureActiveDirectory").GetProperty("registration");
        var settings = Bicep.Single("Microsoft.Web/sites").GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("value").GetString()!);

        Assert.Equal("OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID", registration.GetProperty("clientSecretSettingName").GetString());
        Assert.Equal("[parameters('identityClientId')]", settings["OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"]);
        Assert.DoesNotContain(settings.Keys, k => k.Contains("SECRET", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void WithoutAnAppRegistration_AuthenticationIsNotConfigured_AndTheAppRefusesTheDashboard()
    {
        // Conditional on the client id: the app itself refuses dashboard requests in Azure while authentication is off.
        Assert.Equal("[not(empty(parameters('dashboardClientId')))]", Auth().GetProperty("condition").GetString());
    }

    [Fact]
    public void TheAppRolesManifest_DefinesTheRolesTheAppChecks()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Bicep.Infra, "dashboard-app-roles.json")));

        Assert.Equal(["Scheduler.Operator", "Scheduler.Reader"], manifest.RootElement.EnumerateArray().Select(r => r.GetProperty("value").GetString()).Order());
    }
}
