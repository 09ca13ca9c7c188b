using System.Text.Json;
using System.Text.RegularExpressions;

namespace Scheduler.Infra.Tests;

public sealed partial class FunctionAppSettingsTests
{
    private static Dictionary<string, string> AppSettings()
    {
        var site = Bicep.Single("Microsoft.Web/sites");
        return site.GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("value").GetString()!);
    }

    private static IEnumerable<JsonElement> Bindings()
    {
        var configuration = Bicep.Metadata("Configuration");
        var path = Path.Combine(Bicep.RepositoryRoot, "src", "Scheduler.App", "bin", configuration, "net10.0", "functions.metadata");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateArray().SelectMany(f => f.GetProperty("bindings").EnumerateArray()).Select(b => b.Clone()).ToList();
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();

    [Fact]
    public void EveryTriggerExpression_IsAnAppSetting()
    {
        // Arrange: every %...% in a generated binding, as the Linux app setting that supplies it (':' is written '__')
        var expressions = Bindings()
            .SelectMany(b => b.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).Select(p => p.Value.GetString()!))
            .SelectMany(v => SettingExpression().Matches(v).Select(m => m.Groups[1].Value.Replace(":", "__", StringComparison.Ordinal)))
            .Distinct()
            .ToList();

        // Act
        var settings = AppSettings();

        // Assert
        Assert.Equal(["Scheduler__Queue", "Scheduler__TickSchedule"], expressions.Order());
        Assert.All(expressions, e => Assert.True(settings.ContainsKey(e), $"the app reads %{e}% but the Function App does not set {e}"));
    }

    [Fact]
    public void EveryConnection_IsIdentityBased()
    {
        // Arrange: the host's own storage and every binding's Connection, with what an identity-based connection needs
        var connections = Bindings().Where(b => b.TryGetProperty("connection", out _)).Select(b => b.GetProperty("connection").GetString()!)
            .Append("AzureWebJobsStorage").Distinct();
        var settings = AppSettings();

        // Assert
        foreach (var connection in connections)
        {
            // The host's own storage needs blobs (locks, keys) and queues; its identity has no table role it could use.
            var parts = connection == "AzureWebJobsStorage" ? new[] { "credential", "clientId", "blobServiceUri", "queueServiceUri" } : ["credential", "clientId", "blobServiceUri", "queueServiceUri", "tableServiceUri"];
            foreach (var part in parts)
            {
                Assert.True(settings.ContainsKey($"{connection}__{part}"), $"{connection}__{part} is not set");
            }

            Assert.Equal("managedidentity", settings[$"{connection}__credential"]);
            Assert.False(settings.ContainsKey(connection), $"{connection} must not be a connection string");
        }
    }

    [Fact]
    public void RequiredSchedulerOptions_AreSet()
    {
        var settings = AppSettings();
        foreach (var required in new[] { "Scheduler__Dispatch", "Scheduler__PreciseFiring", "Scheduler__Inputs__AllowedContainers", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" })
        {
            Assert.True(settings.ContainsKey(required), $"{required} is not set");
        }
    }

    [Fact]
    public void NoAppSetting_HoldsAKeyOrConnectionString()
    {
        // The Application Insights connection string only names the resource: DisableLocalAuth makes ingestion require Entra ID.
        var settings = AppSettings().Where(s => s.Key != "APPLICATIONINSIGHTS_CONNECTION_STRING").ToList();
        var appInsights = Bicep.Single("Microsoft.Insights/components");
        Assert.True(appInsights.GetProperty("properties").GetProperty("DisableLocalAuth").GetBoolean());

        foreach (var (name, value) in settings)
        {
            foreach (var secret in new[] { "AccountKey", "SharedAccessSignature", "DefaultEndpointsProtocol", "InstrumentationKey", "listKeys", "Password", "sig=" })
            {
                Assert.DoesNotContain(secret, value, StringComparison.OrdinalIgnoreCase);
            }

            Assert.False(name.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase) || name.EndsWith("_KEY", StringComparison.OrdinalIgnoreCase), name);
        }

        Assert.DoesNotContain("listKeys(", Bicep.MainTemplate.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void StorageAccount_AllowsIdentityOnly()
    {
        var properties = Bicep.Single("Microsoft.Storage/storageAccounts").GetProperty("properties");
        Assert.False(properties.GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.False(properties.GetProperty("allowBlobPublicAccess").GetBoolean());
        Assert.Equal("TLS1_2", properties.GetProperty("minimumTlsVersion").GetString());
    }

    [Fact]
    public void FunctionApp_RunsIsolatedDotnet10OnFlexConsumption_AsItsUserAssignedIdentity()
    {
        var plan = Bicep.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", plan.GetProperty("sku").GetProperty("name").GetString());
        var site = Bicep.Single("Microsoft.Web/sites");
        Assert.Equal("UserAssigned", site.GetProperty("identity").GetProperty("type").GetString());
        var runtime = site.GetProperty("properties").GetProperty("functionAppConfig").GetProperty("runtime");
        Assert.Equal(("dotnet-isolated", "10.0"), (runtime.GetProperty("name").GetString(), runtime.GetProperty("version").GetString()));
    }

    [Fact]
    public void RoleAssignments_AreNamedDeterministically()
    {
        var assignments = Bicep.Resources(Bicep.MainTemplate).Where(r => r.GetProperty("type").GetString() == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(8, assignments.Count);
        Assert.All(assignments, a => Assert.StartsWith("[guid(", a.GetProperty("name").GetString(), StringComparison.Ordinal));
    }
}
