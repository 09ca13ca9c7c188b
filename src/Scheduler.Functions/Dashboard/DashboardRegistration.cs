using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Scheduler.Functions.Dashboard;

internal static class DashboardRegistration
{
    /// <summary>The dashboard's services (pages, actions, anti-forgery); settings under <c>Scheduler:Dashboard</c>, checked at start-up.</summary>
    public static IServiceCollection AddSchedulerDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DashboardOptions>()
            .Bind(configuration.GetSection(DashboardOptions.Section))
            .Validate(o => o.PageSize is >= 1 and <= 1000, "Scheduler:Dashboard:PageSize must be between 1 and 1000")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ReaderRole) && !string.IsNullOrWhiteSpace(o.OperatorRole), "Scheduler:Dashboard:ReaderRole and OperatorRole must name app roles")
            .ValidateOnStart();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "Scheduler.Antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.FormFieldName = DashboardEndpoint.TokenField;
        });
        services.AddSingleton<DashboardReader>();
        services.AddSingleton<DashboardActions>();
        services.AddSingleton<DashboardEndpoint>();
        return services;
    }
}
