using Microsoft.Playwright;

namespace Cnnc.Tests.Shared;

/// <summary>
/// A page in Debian's Chromium (/usr/bin/chromium) driven by Playwright — its own browser download is never used — with
/// a fresh profile (a non-persistent launch), headless, opened from <c>file://</c>: every other request is aborted and
/// recorded, unless the test answers it itself (e.g. a CDN's require.js from a local copy). Shared by the view tests
/// and the exported-notebook tests (linked into both projects).
/// </summary>
public sealed class OfflineChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly string[] Args =
    {
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    };

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private OfflineChromium(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>Script errors of the page.</summary>
    public List<string> Errors { get; } = new();

    /// <summary>Requests that were aborted (not <c>file://</c>, not answered by the test).</summary>
    public List<string> Blocked { get; } = new();

    /// <summary>Script errors and blocked requests together: a page that draws offline has none.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (Errors) lock (Blocked) return Errors.Concat(Blocked.Select(b => "blocked request: " + b)).ToList();
        }
    }

    /// <summary>Writes <paramref name="html"/> to a temporary file and opens it.</summary>
    public static async Task<OfflineChromium> OpenHtml(string html, string name, int width = 1280, int height = 1500)
    {
        var file = Path.Combine(Path.GetTempPath(), $"cnnc-{name}-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(file, html);
        return await OpenFile(file, width, height);
    }

    /// <summary>
    /// Opens <paramref name="path"/>. <paramref name="answer"/> may serve a request that is not <c>file://</c> (return
    /// true when it did); the rest are aborted.
    /// </summary>
    public static async Task<OfflineChromium> OpenFile(string path, int width = 1280, int height = 1500,
        Func<IRoute, Task<bool>>? answer = null, PageGotoOptions? navigation = null)
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: run tools/setup.sh (installs Debian's chromium).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Executable, Headless = true, Args = Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var opened = new OfflineChromium(playwright, browser, page);
        page.PageError += (_, e) => { lock (opened.Errors) opened.Errors.Add(e); };
        await page.RouteAsync("**/*", async route =>
        {
            var url = route.Request.Url;
            if (url.StartsWith("file://", StringComparison.Ordinal)) await route.ContinueAsync();
            else if (answer is not null && await answer(route)) { }
            else
            {
                lock (opened.Blocked) opened.Blocked.Add(url);
                await route.AbortAsync();
            }
        });
        await page.GotoAsync(new Uri(path).AbsoluteUri, navigation);
        return opened;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
