using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Scheduler.Telemetry;

namespace Scheduler.Functions.Telemetry;

/// <summary>
/// Exports the scheduler's spans and metrics: to Application Insights, signed in with the app's managed identity
/// (no key: the connection string only names the resource), when APPLICATIONINSIGHTS_CONNECTION_STRING is set (infra
/// sets it); and to any OTLP endpoint when OTEL_EXPORTER_OTLP_ENDPOINT is set. With neither, nothing is exported and
/// recording costs nothing.
/// </summary>
internal static class TelemetryWiring
{
    public const string AppInsightsSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string OtlpSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <param name="functionsWorker">True in the Functions worker: its invocations' spans and the host's are joined to ours.</param>
    public static IServiceCollection AddSchedulerTelemetry(this IServiceCollection services, IConfiguration configuration, bool functionsWorker)
    {
        var appInsights = configuration[AppInsightsSetting];
        var otlp = configuration[OtlpSetting];
        if (string.IsNullOrWhiteSpace(appInsights) && string.IsNullOrWhiteSpace(otlp))
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(SchedulerTelemetry.ActivitySourceName))
            .WithMetrics(metrics => metrics.AddMeter(SchedulerTelemetry.MeterName));
        if (functionsWorker)
        {
            telemetry.UseFunctionsWorkerDefaults();
        }

        if (!string.IsNullOrWhiteSpace(appInsights))
        {
            // The app's user-assigned identity (the client id infra gives the storage connection), or a developer's sign-in.
            var clientId = configuration["SchedulerStorage:clientId"];
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = appInsights;
                options.Credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
            });
        }

        if (!string.IsNullOrWhiteSpace(otlp))
        {
            telemetry.UseOtlpExporter();
        }

        return services;
    }
}
