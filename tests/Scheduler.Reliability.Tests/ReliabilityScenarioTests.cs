using Scheduler.Reliability.Harness;
using Scheduler.Reliability.Scenarios;
using Xunit.Abstractions;

namespace Scheduler.Reliability.Tests;

/// <summary>
/// The reliability harness's quick size, run in CI: each scenario starts its own Azurite and standalone hosts as child
/// processes and fails on any defect the ledger audit or the probe finds. The soak runs the same scenarios longer
/// (README: Reliability). One class, so the scenarios run one after another and do not compete for the cores.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ReliabilityScenarioTests(ITestOutputHelper output)
{
    [Fact]
    public Task Crash_SigkillAndRestart_LosesNothingAndRunsNothingTwice() => RunAsync(CrashScenario.RunAsync);

    [Fact]
    public Task StorageOutage_HostBacksOffAndRecovers_MisfirePolicyApplies() => RunAsync(OutageScenario.RunAsync);

    [Fact]
    public Task FourHostsAtOnce_RunEveryOccurrenceOnce() => RunAsync(ConcurrencyScenario.RunAsync);

    [Fact]
    public Task FuzzedEntries_AreMarkedInvalid_AndGoodSchedulesStayOnTime() => RunAsync(FuzzScenario.RunAsync);

    [Fact]
    public Task PoisonHandlers_AreRecordedAndRetried_OthersStayOnTime() => RunAsync(PoisonScenario.RunAsync);

    [Fact]
    public Task QueueMode_EveryMessageDeliveredTwice_RunsEachAttemptOnce() => RunAsync(QueueDuplicatesScenario.RunAsync);

    [Fact]
    public Task EditsUnderLoad_EveryRunUsesTheDefinitionInForce_NoneTwice() => RunAsync(EditsUnderLoadScenario.RunAsync);

    [Fact]
    public Task HostileRows_AreSetAsideAndReported_NothingElseStops() => RunAsync(HostileRowsScenario.RunAsync);

    [Fact]
    public Task LayoutTwoTables_MoveToLayoutThreeUnderLoad_TheMoverKilled_NothingLostOrRunTwice() => RunAsync(LayoutMoveScenario.RunAsync);

    private async Task RunAsync(Func<ScenarioSize, TextWriter, Task<ScenarioReport>> scenario)
    {
        // Act
        using var progress = new StringWriter();
        var report = await scenario(ScenarioSize.Quick, progress);
        output.WriteLine(progress.ToString());
        output.WriteLine(report.ToString());

        // Assert
        Assert.True(report.Passed, report.ToString());
        Assert.True(report.Occurrences > 0, "the scenario audited no occurrence");
    }
}
