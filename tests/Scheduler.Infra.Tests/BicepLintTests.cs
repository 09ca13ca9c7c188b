namespace Scheduler.Infra.Tests;

public sealed class BicepLintTests
{
    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Bicep.Infra, "*.bicep", SearchOption.AllDirectories).Order())
        {
            data.Add(Path.GetRelativePath(Bicep.Infra, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void BicepFile_LintsWithoutAnyDiagnostic(string file)
    {
        // A warning fails as an error does; a deliberate exception is a #disable-next-line with its reason in the file.
        var (code, output) = Bicep.Run("lint", Path.Combine(Bicep.Infra, file));

        Assert.True(code == 0 && string.IsNullOrWhiteSpace(output), $"bicep lint {file} (exit {code}):\n{output}");
    }

    [Fact]
    public void MainTemplate_Compiles_ToEveryResourceTheAppNeeds()
    {
        // Act
        var types = Bicep.Resources(Bicep.MainTemplate).Select(r => r.GetProperty("type").GetString()).ToHashSet();

        // Assert: compiled (a failed build fails MainTemplate), and the deployment holds what README promises
        Assert.Superset(
            new HashSet<string?>
            {
                "Microsoft.Storage/storageAccounts", "Microsoft.Web/sites", "Microsoft.Web/serverfarms",
                "Microsoft.ManagedIdentity/userAssignedIdentities", "Microsoft.Authorization/roleAssignments",
                "Microsoft.Insights/components", "Microsoft.OperationalInsights/workspaces",
            },
            types);
    }
}
