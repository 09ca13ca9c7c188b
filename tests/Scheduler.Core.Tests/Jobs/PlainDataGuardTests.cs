using Scheduler.Jobs;

namespace Scheduler.Core.Tests.Jobs;

public sealed class PlainDataGuardTests
{
    private sealed class ImportArgs
    {
        public string Delimiter { get; set; } = ";";
        public List<int> Columns { get; set; } = [1, 2];
        public Dictionary<string, string> Map { get; set; } = new() { ["a"] = "b" };
    }

    // The APScheduler failure our users come from: a job whose object holds an open file.
    private sealed class ReporterHoldingFile
    {
        public string Name { get; set; } = "report";
        public StreamReader? Source { get; set; }
    }

    private sealed class Wrapper
    {
        public object? Inner { get; set; }
    }

    [Fact]
    public void EnsurePlainData_AcceptsPlainData()
    {
        // Act
        var errors = new object?[]
        {
            new ImportArgs(),
            new { path = "imports/a.csv", when = DateTimeOffset.UnixEpoch, ids = new[] { 1, 2 }, nested = new Dictionary<string, object> { ["n"] = 1 } },
            null,
        }.Select(args => Record.Exception(() => PlainDataGuard.EnsurePlainData(args)));

        // Assert
        Assert.All(errors, Assert.Null);
    }

    [Fact]
    public void EnsurePlainData_RejectsOpenFile_NamingTheMemberAndTheFix()
    {
        // Arrange
        var path = Path.GetTempFileName();
        using var reader = new StreamReader(path);

        // Act
        var ex = Assert.Throws<ArgumentException>(() => PlainDataGuard.EnsurePlainData(new ReporterHoldingFile { Source = reader }));

        // Assert
        Assert.Contains("Args.Source is declared as an open reader or writer (StreamReader)", ex.Message);
        Assert.Contains("put a blob path in Args", ex.Message);
    }

    public static TheoryData<object, string> LiveValues()
    {
        var stream = new MemoryStream();
        return new TheoryData<object, string>
        {
            { new Wrapper { Inner = new FileStream(Path.GetTempFileName(), FileMode.Open) }, "Args.Inner is a stream (FileStream)" },
            { new Wrapper { Inner = new Wrapper { Inner = stream } }, "Args.Inner.Inner is a stream (MemoryStream)" },
            { new Wrapper { Inner = (Action)(() => { }) }, "Args.Inner is a delegate" },
            { new Dictionary<string, object> { ["cb"] = (Func<int>)(() => 1) }, "Args[cb] is a delegate" },
            { new List<object> { "ok", new HttpClient() }, "Args[1] is a network client" },
            { new Wrapper { Inner = new Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, false) }, "Args.Inner is a handle" },
            { new Wrapper { Inner = new CancellationTokenSource() }, "Args.Inner is a disposable resource" },
            { new Wrapper { Inner = Task.CompletedTask }, "Args.Inner is a task, thread or token" },
        };
    }

    [Theory]
    [MemberData(nameof(LiveValues))]
    public void EnsurePlainData_RejectsLiveObjects(object args, string expected)
    {
        // Act
        var ex = Assert.Throws<ArgumentException>(() => PlainDataGuard.EnsurePlainData(args));

        // Assert
        Assert.Contains(expected, ex.Message);
    }
}
