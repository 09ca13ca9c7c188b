using System.Globalization;

namespace Scheduler.Bench;

/// <summary>
/// A share of a core for one benchmark process, held by a Linux control group's CPU quota (cgroup v2 <c>cpu.max</c> or
/// v1 <c>cpu.cfs_quota_us</c>). The process joins its group before the runtime starts, so .NET sees the quota as its
/// processor count, as an instance with its own small share of a machine would.
/// </summary>
/// <remarks>
/// It stands in for what scaling out adds on Azure: each instance brings its own compute. On this machine the
/// processes would otherwise share two cores with Azurite, and one dispatcher alone takes what Azurite leaves.
/// Creating a group needs write access to the cgroup file system (root here); without it <see cref="TryCreate"/> says why.
/// </remarks>
internal sealed class CpuBudget : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private const int PeriodMicroseconds = 100_000;

    private CpuBudget(string directory) => Directory = directory;

    /// <summary>The group's directory; a process joins it by writing its id to <c>cgroup.procs</c> there.</summary>
    public string Directory { get; }

    /// <summary>A new group holding its processes to <paramref name="cores"/> of a core, or null and why not.</summary>
    public static CpuBudget? TryCreate(string name, double cores, out string? why)
    {
        var quota = ((int)(cores * PeriodMicroseconds)).ToString(CultureInfo.InvariantCulture);
        var unified = File.Exists(Path.Combine(Root, "cgroup.controllers"));
        var parent = unified ? Root : Path.Combine(Root, "cpu");
        var directory = Path.Combine(parent, $"scheduler-bench-{name}-{Environment.ProcessId}");
        try
        {
            if (unified)
            {
                File.AppendAllText(Path.Combine(Root, "cgroup.subtree_control"), "+cpu");
                System.IO.Directory.CreateDirectory(directory);
                File.WriteAllText(Path.Combine(directory, "cpu.max"), $"{quota} {PeriodMicroseconds}");
            }
            else
            {
                System.IO.Directory.CreateDirectory(directory);
                File.WriteAllText(Path.Combine(directory, "cpu.cfs_period_us"), PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
                File.WriteAllText(Path.Combine(directory, "cpu.cfs_quota_us"), quota);
            }

            why = null;
            return new CpuBudget(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"no CPU quota for the processes ({directory}: {e.Message})";
            return null;
        }
    }

    /// <summary>The command that runs <c>dotnet</c> with <paramref name="arguments"/> inside the group.</summary>
    public (string FileName, string[] Arguments) Wrap(IEnumerable<string> arguments) =>
        ("sh", ["-c", "echo $$ > \"$0/cgroup.procs\" && exec dotnet \"$@\"", Directory, .. arguments]);

    public void Dispose()
    {
        // A group is removed once its processes have exited; a straggler leaves an empty group behind, nothing more.
        for (var attempt = 0; attempt < 50 && System.IO.Directory.Exists(Directory); attempt++)
        {
            try
            {
                System.IO.Directory.Delete(Directory);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }
}
