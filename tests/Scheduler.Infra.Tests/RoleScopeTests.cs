using System.Text.Json;

namespace Scheduler.Infra.Tests;

/// <summary>
/// Least privilege, read from the compiled template: every data role is scoped to one container, table or queue the
/// app uses (never the account), the owner role only to the host's own containers, and a person's roles never reach
/// the deployment package.
/// </summary>
public sealed class RoleScopeTests
{
    private sealed record Assignment(string Resource, string Scope, string Role, string Principal);

    private static List<Assignment> Assignments()
    {
        var rbac = Bicep.Resources(Bicep.MainTemplate).Single(r => r.GetProperty("type").GetString() == "Microsoft.Resources/deployments" && r.GetProperty("name").GetString() == "rbac");
        var template = rbac.GetProperty("properties").GetProperty("template");
        var resources = template.GetProperty("resources");
        var list = resources.ValueKind == JsonValueKind.Object ? resources.EnumerateObject().Select(p => (Name: p.Name, Value: p.Value)) : resources.EnumerateArray().Select((r, i) => (Name: i.ToString(System.Globalization.CultureInfo.InvariantCulture), Value: r));
        return list.Where(r => r.Value.GetProperty("type").GetString() == "Microsoft.Authorization/roleAssignments")
            .Select(r => new Assignment(
                r.Name,
                r.Value.GetProperty("scope").GetString()!,
                r.Value.GetProperty("properties").GetProperty("roleDefinitionId").GetString()!,
                r.Value.GetProperty("properties").GetProperty("principalId").GetString()!))
            .ToList();
    }

    private static string KindOf(string scope) =>
        scope.StartsWith("[resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', ", StringComparison.Ordinal) ? "container"
        : scope.StartsWith("[resourceId('Microsoft.Storage/storageAccounts/tableServices/tables', ", StringComparison.Ordinal) ? "table"
        : scope.StartsWith("[resourceId('Microsoft.Storage/storageAccounts/queueServices/queues', ", StringComparison.Ordinal) ? "queue"
        : scope.StartsWith("[resourceId('Microsoft.Insights/components', ", StringComparison.Ordinal) ? "telemetry"
        : $"unexpected scope {scope}";

    [Fact]
    public void EveryRoleAssignment_IsScopedToOneContainerTableOrQueue_NeverTheAccount()
    {
        // Act
        var assignments = Assignments();

        // Assert
        Assert.Equal(8, assignments.Count);
        Assert.All(assignments, a => Assert.DoesNotContain("unexpected", KindOf(a.Scope), StringComparison.Ordinal));
        Assert.DoesNotContain(assignments, a => a.Scope.StartsWith("[resourceId('Microsoft.Storage/storageAccounts', ", StringComparison.Ordinal));
    }

    [Fact]
    public void EachRole_GoesOnlyWhereTheAppUsesIt()
    {
        // Arrange: the role ids as the template names them (its variables)
        const string BlobOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
        const string BlobContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
        const string TableContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
        const string QueueContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
        var assignments = Assignments();
        var variables = Bicep.Resources(Bicep.MainTemplate)
            .Single(r => r.GetProperty("type").GetString() == "Microsoft.Resources/deployments" && r.GetProperty("name").GetString() == "rbac")
            .GetProperty("properties").GetProperty("template").GetProperty("variables");
        string RoleVariable(string id) => variables.EnumerateObject().Single(v => v.Value.ValueKind == JsonValueKind.String && v.Value.GetString() == id).Name;

        // Assert: the owner role only on the host's own containers; blob contributor on the package and the inputs;
        // table and queue roles on tables and queues; the person only on the scheduler's tables and the inputs
        Assert.Contains("parameters('hostContainers')", Assert.Single(assignments, a => a.Role.Contains(RoleVariable(BlobOwner), StringComparison.Ordinal)).Scope, StringComparison.Ordinal);
        Assert.Equal(3, assignments.Count(a => a.Role.Contains(RoleVariable(BlobContributor), StringComparison.Ordinal)));
        Assert.All(assignments.Where(a => a.Role.Contains(RoleVariable(BlobContributor), StringComparison.Ordinal)), a => Assert.Equal("container", KindOf(a.Scope)));
        Assert.All(assignments.Where(a => a.Role.Contains(RoleVariable(TableContributor), StringComparison.Ordinal)), a => Assert.Equal("table", KindOf(a.Scope)));
        Assert.All(assignments.Where(a => a.Role.Contains(RoleVariable(QueueContributor), StringComparison.Ordinal)), a => Assert.Equal("queue", KindOf(a.Scope)));
        var person = assignments.Where(a => a.Principal.Contains("userPrincipalId", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, person.Count);
        Assert.All(person, a => Assert.DoesNotContain("deploymentContainerName", a.Scope, StringComparison.Ordinal));
        Assert.Contains(person, a => a.Scope.Contains("parameters('inputContainers')", StringComparison.Ordinal));
        Assert.Contains(person, a => KindOf(a.Scope) == "table");
    }

    [Fact]
    public void TheScopes_AreWhatTheStorageModuleCreates()
    {
        // Arrange: the lists main.bicep passes to both modules
        var variables = Bicep.MainTemplate.GetProperty("variables");
        string[] Names(string variable) => [.. variables.GetProperty(variable).EnumerateArray().Select(v => v.GetString()!)];

        // Assert
        Assert.Equal(["azure-webjobs-hosts", "azure-webjobs-secrets"], Names("hostContainers"));
        Assert.Equal(["Schedules", "ScheduleState", "ScheduleDue", "Jobs"], Names("schedulerTables"));
        Assert.Equal(["scheduler-occurrences", "scheduler-occurrences-poison"], Names("queues"));
        Assert.Contains("imports", Names("inputContainers"));
    }
}
