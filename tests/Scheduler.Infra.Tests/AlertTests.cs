namespace Scheduler.Infra.Tests;

/// <summary>Alerts as code: the compiled template holds a rule for each thing an operator must be told about.</summary>
public sealed class AlertTests
{
    [Fact]
    public void MainTemplate_HoldsTheFiveAlertRules_OnTheSchedulersMetrics_WithAnOptionalActionGroup()
    {
        // Act
        var rules = Bicep.Resources(Bicep.MainTemplate).Where(r => r.GetProperty("type").GetString() == "Microsoft.Insights/scheduledQueryRules").ToList();
        var actionGroup = Assert.Single(Bicep.Resources(Bicep.MainTemplate), r => r.GetProperty("type").GetString() == "Microsoft.Insights/actionGroups");

        // Assert: one copy loop over five rules; each a query on one of the scheduler's metrics, evaluated every 5 minutes
        var rule = Assert.Single(rules);
        Assert.True(rule.TryGetProperty("copy", out _), "the rules are one resource looped over the rules variable");
        var alerts = Bicep.Resources(Bicep.MainTemplate).Single(r => r.GetProperty("type").GetString() == "Microsoft.Resources/deployments" && r.GetProperty("name").GetString() == "alerts");
        var definitions = alerts.GetProperty("properties").GetProperty("template").GetProperty("variables").GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(["due-backlog", "failed-runs", "invalid-schedules", "missed-occurrences", "tick-errors"], definitions.Select(d => d.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.All(definitions, d => Assert.Matches("^customMetrics \\| where name == \"scheduler\\.[a-z_.]+\"", d.GetProperty("query").GetString()));
        Assert.Equal("PT5M", rule.GetProperty("properties").GetProperty("evaluationFrequency").GetString());
        Assert.True(actionGroup.TryGetProperty("condition", out _), "the action group exists only with an email or webhook");
        Assert.Contains("enableAlerts", alerts.GetProperty("condition").GetString());
    }
}
