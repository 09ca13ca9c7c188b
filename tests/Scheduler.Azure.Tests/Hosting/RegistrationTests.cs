using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduler.Hosting;
using Scheduler.Storage;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Storage.Tests.Hosting;

/// <summary>Registration in the Microsoft.Extensions.* shape: options validated at start-up, inputs left as given, names unique.</summary>
public sealed class RegistrationTests
{
    private static StorageConnection Development() => StorageConnection.FromConnectionString("UseDevelopmentStorage=true");

    [Fact]
    public void AddScheduler_WithSettingsOutOfRange_FailsAtStartUp_NamingEverySetting()
    {
        // Arrange
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SchedulerStorage"] = "UseDevelopmentStorage=true",
            ["Scheduler:Parallelism"] = "0",
            ["Scheduler:PollInterval"] = "00:00:00",
            ["Scheduler:TickSchedule"] = "every minute",
            ["Scheduler:Dispatch"] = "Queue",
            ["Scheduler:Queue"] = "Not_A_Queue",
        }).Build();

        // Act
        var error = Assert.Throws<OptionsValidationException>(() => new ServiceCollection().AddScheduler(configuration));

        // Assert
        Assert.Contains("Scheduler:Parallelism is 0; use 1 or more", error.Message);
        Assert.Contains("Scheduler:PollInterval is 00:00:00", error.Message);
        Assert.Contains("Scheduler:TickSchedule \"every minute\" is not a cron expression", error.Message);
        Assert.Contains("Scheduler:Queue \"Not_A_Queue\" is not a queue name", error.Message);
    }

    [Fact]
    public void AddScheduler_LeavesTheOptionsItWasGiven_AndOffersThemAsIOptions()
    {
        // Arrange
        var options = new SchedulerOptions { Parallelism = 4 };
        options.Inputs.AllowedContainers.Add("imports, reports");

        // Act
        var services = new ServiceCollection();
        services.AddScheduler(Development, options);
        using var provider = services.BuildServiceProvider();
        var registered = provider.GetRequiredService<IOptions<SchedulerOptions>>().Value;

        // Assert
        Assert.Equal(["imports, reports"], options.Inputs.AllowedContainers);
        Assert.Equal(["imports", "reports"], registered.Inputs.AllowedContainers);
        Assert.NotSame(options, registered);
        Assert.Same(registered, provider.GetRequiredService<SchedulerOptions>());
        Assert.Equal(4, registered.Parallelism);
    }

    [Fact]
    public void AddJob_TheSameNameTwice_FailsAtRegistration()
    {
        // Arrange
        var builder = new ServiceCollection().AddScheduler(Development, new SchedulerOptions()).AddJob<RecordingJob>("report");

        // Act
        var error = Assert.Throws<ArgumentException>(() => builder.AddJob<FailingJob>("report"));

        // Assert
        Assert.StartsWith("job \"report\" is registered twice (RecordingJob and FailingJob); give each job its own name", error.Message);
    }
}
