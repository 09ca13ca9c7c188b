using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using Scheduler.Storage.Tests.Fixtures;

namespace Scheduler.Functions.Tests.Fixtures;

/// <summary>
/// The standalone host serving the dashboard on a free loopback port over Azurite (tables under the harness's
/// prefix, ticking every second), and Debian's Chromium driven by Playwright.
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    private readonly Process _host;
    private readonly ConcurrentQueue<string> _output;
    private readonly IPlaywright _playwright;

    private DashboardHost(AppHarness app, Process host, ConcurrentQueue<string> output, string url, IPlaywright playwright, IBrowser browser)
    {
        App = app;
        _host = host;
        _output = output;
        Url = url;
        _playwright = playwright;
        Browser = browser;
    }

    public AppHarness App { get; }
    public string Url { get; }
    public IBrowser Browser { get; }
    public string Output => string.Join("\n", _output);

    /// <summary>Where the browser is: Debian's chromium unless SCHEDULER_CHROMIUM says otherwise.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("SCHEDULER_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Why the browser tests cannot run here, or null. Under CI=true a missing browser is a failure, not a skip.</summary>
    public static string? SkipReason()
    {
        if (File.Exists(ChromiumPath))
        {
            return null;
        }

        var why = $"no Chromium at {ChromiumPath}: bash scripts/test.sh installs Debian's chromium (apt-get install chromium)";
        return string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? throw new InvalidOperationException(why) : why;
    }

    public static async Task<DashboardHost> StartAsync(AzuriteFixture azurite, params (string Key, string Value)[] settings)
    {
        var app = await AppHarness.StartAsync(azurite);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(AppHarness.FunctionsBuildOutput("Scheduler.App.dll"));
        start.ArgumentList.Add("--standalone");
        start.ArgumentList.Add($"--Scheduler:Dashboard:Url=http://127.0.0.1:{port}");
        start.Environment["SchedulerStorage"] = azurite.ConnectionString;
        start.Environment["Scheduler__Tables__Prefix"] = app.Prefix;
        start.Environment["Scheduler__TickSchedule"] = "*/1 * * * * *";
        start.Environment["Scheduler__PreciseFiring"] = "false";
        start.Environment["Scheduler__Inputs__AllowedContainers"] = app.InputContainer;
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var output = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = Process.Start(start)!;
        void Read(object? _, DataReceivedEventArgs e)
        {
            output.Enqueue(e.Data ?? "");
            if (e.Data?.StartsWith("Dashboard: ", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        }

        host.OutputDataReceived += Read;
        host.ErrorDataReceived += Read;
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        var launching = LaunchBrowserAsync(); // while the host starts
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            host.Kill(entireProcessTree: true);
            var (unused, browser) = await launching;
            await browser.CloseAsync();
            unused.Dispose();
            throw new InvalidOperationException("the standalone host did not serve the dashboard within 60 s:\n" + string.Join("\n", output));
        }

        var (playwright, launched) = await launching;
        return new DashboardHost(app, host, output, $"http://127.0.0.1:{port}/dashboard", playwright, launched);
    }

    private static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchBrowserAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // This machine's network is closed: without these Chromium keeps trying to reach Google's services.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    /// <summary>A browser session; <paramref name="roles"/> given: as a signed-in user with those app roles (App Service's principal header).</summary>
    public async Task<IPage> OpenAsync(string path = "", params string[] roles)
    {
        var options = new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } };
        if (roles.Length > 0)
        {
            options.ExtraHTTPHeaders = new Dictionary<string, string> { ["X-MS-CLIENT-PRINCIPAL"] = Principal("dana@contoso.example", roles) };
        }

        var context = await Browser.NewContextAsync(options);
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url + path);
        return page;
    }

    public static string Principal(string name, params string[] roles)
    {
        var claims = roles.Select(r => new { typ = "roles", val = r }).Prepend(new { typ = "name", val = name });
        var json = System.Text.Json.JsonSerializer.Serialize(new { auth_typ = "aad", name_typ = "name", role_typ = "roles", claims });
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Saves a screenshot under docs/ for README.</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AzuriteFixture.RepositoryRoot(), "docs", "dashboard", name + ".png"), FullPage = true });

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright.Dispose();
        if (!_host.HasExited)
        {
            _host.Kill(entireProcessTree: true);
            await _host.WaitForExitAsync();
        }

        _host.Dispose();
        await App.DisposeAsync();
    }
}
