using System.Globalization;
using Scheduler.Cli.Commands;

namespace Scheduler.Cli.Tests;

/// <summary>Moments on the command line: ISO 8601 or relative to now, resolved against the session's clock.</summary>
public sealed class MomentTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("-10m", "2026-11-26T09:50:00Z")]
    [InlineData("+2h", "2026-11-26T12:00:00Z")]
    [InlineData("now", "2026-11-26T10:00:00Z")]
    [InlineData("NOW-1d", "2026-11-25T10:00:00Z")]
    [InlineData("now + 30s", "2026-11-26T10:00:30Z")]
    [InlineData("-00:05:00", "2026-11-26T09:55:00Z")]
    [InlineData("2026-11-01T09:00:00Z", "2026-11-01T09:00:00Z")]
    [InlineData("2026-11-01T09:00:00+01:00", "2026-11-01T08:00:00Z")]
    [InlineData("2026-11-01T09:00", "2026-11-01T09:00:00Z")]
    public void TryParse_ReadsAbsoluteAndRelativeMoments(string text, string expected)
    {
        Assert.True(Moment.TryParse(text, out var moment));
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), moment!.Resolve(Now));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("-10")]
    [InlineData("10m")]
    [InlineData("now-")]
    [InlineData("nowish")]
    [InlineData("-999999999d")]
    [InlineData("yesterday")]
    public void TryParse_RefusesWhatIsNeither(string text)
    {
        Assert.False(Moment.TryParse(text, out _));
    }
}
