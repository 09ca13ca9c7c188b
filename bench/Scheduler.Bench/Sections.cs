namespace Scheduler.Bench;

/// <summary>The generated sections of docs/benchmarks.md: each between its own markers, the text around them kept.</summary>
public static class Sections
{
    /// <param name="block">The section's new text, starting with <paramref name="begin"/> and ending with <paramref name="end"/>.</param>
    /// <returns>The page with the section replaced, or appended when the page does not have it yet.</returns>
    public static string Replace(string page, string begin, string end, string block)
    {
        var from = page.IndexOf(begin, StringComparison.Ordinal);
        var to = page.IndexOf(end, StringComparison.Ordinal);
        return from >= 0 && to > from ? page[..from] + block + page[(to + end.Length)..] : page.TrimEnd() + "\n\n" + block + "\n";
    }
}
