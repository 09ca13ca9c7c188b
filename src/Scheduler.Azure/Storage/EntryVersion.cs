using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Scheduler.Storage;

/// <summary>
/// A Schedules entry's version as the dispatcher keeps it in memory: a 64-bit hash of its ETag instead of the ETag's
/// text (about 120 bytes), so maps of every schedule's version stay small at 100,000 schedules. Two versions of one
/// entry hash alike once in 2^64 edits.
/// </summary>
internal static class EntryVersion
{
    public static long Of(string etag) => (long)XxHash3.HashToUInt64(MemoryMarshal.AsBytes(etag.AsSpan()));
}
