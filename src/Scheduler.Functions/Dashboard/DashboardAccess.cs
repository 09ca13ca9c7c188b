using System.Net;
using System.Text;
using System.Text.Json;

namespace Scheduler.Functions.Dashboard;

/// <summary>
/// Decides who a request comes from. In Azure the dashboard is served only behind App Service Authentication
/// (Microsoft Entra ID, configured by infra/app): the platform signs the user in, strips any client-sent
/// <c>X-MS-CLIENT-PRINCIPAL</c> and sets its own, whose role claims this checks. Anywhere else it answers loopback
/// callers only; a principal header there is honoured (it can only lower what a local caller may do, and tests use it).
/// </summary>
internal static class DashboardAccess
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";
    public const string PrincipalNameHeader = "X-MS-CLIENT-PRINCIPAL-NAME";

    /// <param name="environment">App Service's variables: WEBSITE_SITE_NAME (set in Azure) and WEBSITE_AUTH_ENABLED.</param>
    public static DashboardUser Resolve(
        DashboardOptions options, IPAddress? remote, string? forwardedFor, string? principal, string? principalName, Func<string, string?> environment)
    {
        var inAzure = !string.IsNullOrEmpty(environment("WEBSITE_SITE_NAME"));
        if (inAzure)
        {
            if (!string.Equals(environment("WEBSITE_AUTH_ENABLED"), "true", StringComparison.OrdinalIgnoreCase))
            {
                return DashboardUser.Refused("App Service Authentication is off for this app, and the dashboard is served only behind it: deploy infra/ with dashboardClientId set, or turn Authentication on with Microsoft Entra ID");
            }

            return principal is null
                ? DashboardUser.Refused("no signed-in user came with the request; sign in through the app's URL")
                : FromPrincipal(options, principal, principalName);
        }

        if (remote is null || !IPAddress.IsLoopback(remote) || !AllLoopback(forwardedFor))
        {
            return DashboardUser.Refused("outside Azure the dashboard answers this machine only (loopback); open it on the machine that runs the host");
        }

        return principal is null ? new DashboardUser("local user", CanSee: true, CanAct: true) : FromPrincipal(options, principal, principalName);
    }

    /// <summary>Reads App Service's principal header: base64 JSON with claims (typ, val) and the claim type used for roles.</summary>
    public static DashboardUser FromPrincipal(DashboardOptions options, string header, string? name)
    {
        ClientPrincipal? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<ClientPrincipal>(Encoding.UTF8.GetString(Convert.FromBase64String(header)));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return DashboardUser.Refused($"the {PrincipalHeader} header does not read as App Service's principal ({ex.Message})");
        }

        var claims = parsed?.Claims ?? [];
        var roleType = parsed?.RoleType ?? "roles";
        var roles = claims.Where(c => c.Type is "roles" or "http://schemas.microsoft.com/ws/2008/06/identity/claims/role" || c.Type == roleType)
            .Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var user = name ?? claims.FirstOrDefault(c => c.Type is "name" or "preferred_username")?.Value ?? "signed-in user";
        var canAct = roles.Contains(options.OperatorRole);
        var canSee = canAct || roles.Contains(options.ReaderRole);
        return canSee
            ? new DashboardUser(user, canSee, canAct)
            : DashboardUser.Refused($"{user} has neither app role {options.ReaderRole} (to see) nor {options.OperatorRole} (to act); ask an owner of the app registration to assign one");
    }

    private static bool AllLoopback(string? forwardedFor) =>
        string.IsNullOrWhiteSpace(forwardedFor)
        || forwardedFor.Split(',').All(hop => IPAddress.TryParse(HostOf(hop.Trim()), out var ip) && IPAddress.IsLoopback(ip));

    private static string HostOf(string hop) =>
        hop.StartsWith('[') && hop.IndexOf(']') is > 0 and var end ? hop[1..end]
        : hop.Count(c => c == ':') == 1 ? hop[..hop.IndexOf(':')] : hop;

    private sealed record ClientPrincipal(
        [property: System.Text.Json.Serialization.JsonPropertyName("claims")] List<Claim>? Claims,
        [property: System.Text.Json.Serialization.JsonPropertyName("role_typ")] string? RoleType);

    private sealed record Claim(
        [property: System.Text.Json.Serialization.JsonPropertyName("typ")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("val")] string Value);
}
