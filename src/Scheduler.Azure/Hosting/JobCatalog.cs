using Scheduler.Jobs;
using Scheduler.Schedules;

namespace Scheduler.Hosting;

/// <summary>The jobs this app registered, and the validation context they imply.</summary>
internal sealed class JobCatalog
{
    public JobCatalog(IEnumerable<JobRegistration> registrations, SchedulerOptions options)
    {
        Jobs = registrations.ToDictionary(r => r.Name, StringComparer.Ordinal);
        Validation = new ValidationContext(
            Jobs.Keys.ToHashSet(StringComparer.Ordinal),
            options.Inputs.AllowedContainers.Where(c => !string.IsNullOrWhiteSpace(c)).Select(c => c.Trim()).ToHashSet(StringComparer.Ordinal),
            options.RunTimeoutLimit,
            options.RunTimeoutLimitReason);
    }

    public IReadOnlyDictionary<string, JobRegistration> Jobs { get; }

    public ValidationContext Validation { get; }
}
