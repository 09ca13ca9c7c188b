using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Scheduler.Functions.Dashboard;

namespace Scheduler.Functions.Functions;

/// <summary>
/// The operators' dashboard at /dashboard (host.json sets no route prefix). Anonymous at the function level: in Azure
/// App Service Authentication signs users in before a request reaches the app, and the app checks their roles.
/// </summary>
internal sealed class DashboardFunction(DashboardEndpoint endpoint)
{
    [Function("Dashboard")]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "dashboard/{*path}")] HttpRequest request)
    {
        await endpoint.HandleAsync(request.HttpContext);
        return new EmptyResult();
    }
}
