using Scheduler.Functions.Jobs;

namespace Scheduler.Functions.Tests;

public sealed class CsvParserTests
{
    [Fact]
    public void Parse_HandlesQuotesAndEscapedQuotes()
    {
        var result = CsvParser.Parse("id,name\n1,\"Hopper, Grace\"\n2,\"say \"\"hi\"\"\"\r\n", ',', hasHeader: true);
        Assert.Equal(["id", "name"], result.Header);
        Assert.Equal([["1", "Hopper, Grace"], ["2", "say \"hi\""]], result.Rows.Select(r => r.ToArray()));
    }

    [Theory]
    [InlineData("a,b\n1,2\n3\n", "line 3: expected 2 fields, found 1")]
    [InlineData("a,b\n1,2,3\n", "line 2: expected 2 fields, found 3")]
    [InlineData("a,b\n1,\"open\n", "line 2: a quoted field is not closed")]
    public void Parse_ReportsTheLineNumber(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => CsvParser.Parse(text, ',', hasHeader: true)).Message);
    }
}
