using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Scheduler.Functions.Telemetry;

namespace Scheduler.Functions.Tests;

/// <summary>The app exports only where a destination is configured: Application Insights (Entra ID) or OTLP.</summary>
public sealed class TelemetryWiringTests
{
    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build();
        return new ServiceCollection().AddLogging().AddSchedulerTelemetry(configuration, functionsWorker: false).BuildServiceProvider();
    }

    [Fact]
    public void WithoutADestination_NothingIsRegistered()
    {
        using var provider = Build();
        Assert.Null(provider.GetService<TracerProvider>());
        Assert.Null(provider.GetService<MeterProvider>());
    }

    [Theory]
    [InlineData(TelemetryWiring.OtlpSetting, "http://127.0.0.1:4318")]
    [InlineData(TelemetryWiring.AppInsightsSetting, "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1/")]
    public void WithADestination_TheSchedulersSourceAndMeterAreExported(string setting, string value)
    {
        using var provider = Build((setting, value));
        Assert.NotNull(provider.GetService<TracerProvider>());
        Assert.NotNull(provider.GetService<MeterProvider>());
    }
}
