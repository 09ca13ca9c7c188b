namespace Scheduler.Jobs;

/// <summary>A job name bound to its handler type, with what people editing schedules need to know: a description and example Args.</summary>
internal sealed record JobRegistration(string Name, Type HandlerType, string Description, string ExampleArgs);
