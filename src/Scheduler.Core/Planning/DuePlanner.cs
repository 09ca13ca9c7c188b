using Scheduler.Runs;
using Scheduler.Schedules;
using Scheduler.Triggers;

namespace Scheduler.Planning;

/// <summary>
/// Decides, for one schedule at one instant, which runs start, which occurrences are skipped or missed, and what the
/// state becomes. Pure: the dispatcher commits the result with one conditional write, so a plan made by two instances
/// at once takes effect only once.
/// </summary>
/// <param name="queueClaims">Queue dispatch: claims wait in the queue until RunOccurrence starts them.</param>
internal sealed class DuePlanner(ScheduleDefinition definition, ScheduleTimeline timeline, string instance, TimeSpan? leaseMargin = null, bool queueClaims = false)
{
    /// <summary>Occurrences a single plan may claim or record; the rest wait for the next plan (bounds one tick's work).</summary>
    public const int MaxOccurrencesPerPlan = 100;
    public const int MaxBuffered = 500;
    /// <summary>
    /// Runs one state may hold waiting (buffered, retries, manual, backfilled): the state row must stay under the
    /// Table service's 64 KiB per column, and about 700 waiting runs would not.
    /// </summary>
    public const int MaxPending = 600;
    /// <summary>Re-runs after lost leases stop here even when MaxAttempts is lower: a crash is not the job's failure, but a job that kills its host must not loop forever.</summary>
    public const int CrashAttempts = 3;
    /// <summary>Added to a run's timeout to make its lease: the time a dead instance's claim blocks a re-run.</summary>
    public static readonly TimeSpan DefaultLeaseMargin = TimeSpan.FromSeconds(30);

    /// <summary>A planner for <paramref name="definition"/> on its own timeline: how every caller builds one.</summary>
    public static DuePlanner For(ScheduleDefinition definition, string instance, TimeSpan? leaseMargin = null, bool queueClaims = false) =>
        new(definition, ScheduleTimeline.For(definition), instance, leaseMargin, queueClaims);

    /// <summary>Computed once per planner, not on every plan: the definition a planner serves does not change.</summary>
    private readonly string _timing = DefinitionChange.TimingOf(definition);

    private SchedulePolicies Policies => definition.Policies;
    private string Key => definition.Key.Value;

    public DateTimeOffset FireTime(DateTimeOffset due) => due + Jitter.For(Key, due, Policies.Jitter);

    /// <summary>
    /// Plans at <paramref name="now"/>, taking only work due by <paramref name="dueBy"/> (default: now). The dispatcher
    /// passes its tick's start, so work falling due while the tick runs is left to the next tick and one tick ends.
    /// At most <paramref name="maxClaims"/> runs start (the process's run budget); work beyond it stays due.
    /// </summary>
    public Plan Plan(ScheduleState state, DateTimeOffset now, DateTimeOffset? dueBy = null, int maxClaims = int.MaxValue)
    {
        var cutoff = dueBy is { } d && d < now ? d : now;
        var inFlight = state.InFlight.ToList();
        var pending = state.Pending.ToList();
        var expired = TakeExpiredLeases(inFlight, pending, now);
        state = LostForGood(state, expired, Math.Max(Policies.MaxAttempts, CrashAttempts));
        state = PlannedUnderTheseRules(state);
        if (state.Status != ScheduleStatus.Active)
        {
            return expired.Count == 0
                ? new Plan(state, [], [], [])
                : new Plan(state with { InFlight = inFlight, Pending = pending }, [], [], expired);
        }

        var notes = new List<LedgerNote>();
        var due = new List<DateTimeOffset>();
        var next = CollectDue(state.NextDue, now, cutoff, due, notes);

        var claims = new List<ClaimedRun>();
        var free = Math.Min(Policies.ConcurrencyLimit - inFlight.Count, maxClaims);
        foreach (var run in pending.Where(p => p.NotBefore <= cutoff).OrderBy(p => p.Due).ToList())
        {
            if (free <= 0)
            {
                break;
            }

            pending.Remove(run);
            claims.Add(Claim(run.Due, run.Attempt, ReasonFor(run.Kind), now, inFlight));
            free--;
        }

        var skipped = new List<DateTimeOffset>();
        foreach (var occurrence in due)
        {
            if (free > 0)
            {
                claims.Add(Claim(occurrence, 1, ClaimReason.Scheduled, now, inFlight));
                free--;
            }
            else if (inFlight.Count < Policies.ConcurrencyLimit || FireTime(occurrence) <= inFlight.Min(r => r.StartedOrNever))
            {
                // A place is free but the process's run budget is spent; or it fell due before any run now in flight
                // started (a backlog, runs this plan starts, runs still queued), so it is no overlap. It stays due and
                // runs when a place is free.
                next = occurrence;
                break;
            }
            else
            {
                ApplyOverlap(occurrence, pending, skipped);
            }
        }

        if (skipped.Count > 0)
        {
            var holder = inFlight.OrderBy(r => r.ClaimedAt).First();
            notes.Add(new LedgerNote(RunStatus.Skipped, skipped[0], skipped[^1], skipped.Count, SkipReason(holder)));
        }

        var newState = state with
        {
            NextDue = next,
            InFlight = inFlight,
            Pending = pending,
            Status = next is null && inFlight.Count == 0 && pending.Count == 0 ? ScheduleStatus.Finished : ScheduleStatus.Active,
        };
        return claims.Count == 0 && notes.Count == 0 && expired.Count == 0 && newState.NextDue == state.NextDue && newState.Status == state.Status
            ? new Plan(state, [], [], [])
            : new Plan(newState, claims, notes, expired);
    }

    /// <summary>
    /// A due time planned under another tzdb release (the app now ships a newer one) is planned again from the last
    /// occurrence, so a zone whose rules changed is followed from its next occurrence on.
    /// </summary>
    private ScheduleState PlannedUnderTheseRules(ScheduleState state)
    {
        if (state.Status != ScheduleStatus.Active || state.Timing is null || state.Timing == _timing || state.NextDue is not { } planned)
        {
            return state;
        }

        var from = state.LastDue is { } last && last < planned ? last : planned.AddTicks(-1);
        return state with { Timing = _timing, NextDue = timeline.Next(from) };
    }

    /// <summary>The earliest instant at which planning this state again could do something, or null for never.</summary>
    public DateTimeOffset? WakeAt(ScheduleState state)
    {
        DateTimeOffset? wake = null;
        void Consider(DateTimeOffset t) => wake = wake is { } w && w <= t ? w : t;

        foreach (var run in state.InFlight)
        {
            Consider(run.LeaseUntil);
        }

        if (state.Status == ScheduleStatus.Active)
        {
            if (state.NextDue is { } next && !WaitsForARun(state, FireTime(next)))
            {
                Consider(FireTime(next));
            }

            if (state.InFlight.Count < Policies.ConcurrencyLimit)
            {
                foreach (var run in state.Pending)
                {
                    Consider(run.NotBefore);
                }
            }
        }

        return wake;
    }

    /// <summary>
    /// An occurrence whose last allowed attempt died with its host: the state says so (LastStatus Lost), for
    /// `scheduler doctor` and whoever reads the row, since nobody knows whether the job did its work.
    /// </summary>
    private static ScheduleState LostForGood(ScheduleState state, IReadOnlyList<InFlightRun> expired, int rerunBelow) =>
        expired.Where(r => !r.Abandoned && r.Attempt >= rerunBelow).MaxBy(r => r.Due) is not { } lost
            ? state
            : state with
            {
                LastDue = state.LastDue is { } last && last > lost.Due ? last : lost.Due,
                LastStatus = RunStatus.Lost,
                LastError = $"the run of {lost.Due:O} was lost with its host {lost.Attempt} time(s) (last on {lost.Instance}); re-runs stop there and the outcome is unknown: check whether the job did its work",
            };

    /// <summary>
    /// True when an occurrence firing at <paramref name="fire"/> can only wait for a place (every place is taken by a
    /// run that started after it fell due, or is still queued): the run's completion wakes the schedule, not the clock.
    /// </summary>
    private bool WaitsForARun(ScheduleState state, DateTimeOffset fire) =>
        state.InFlight.Count >= Policies.ConcurrencyLimit && fire <= state.InFlight.Min(r => r.StartedOrNever);

    /// <summary>For a state without a usable definition: only record the runs whose lease ran out; nothing new starts.</summary>
    public static Plan ExpireLeasesOnly(ScheduleState state, DateTimeOffset now)
    {
        var inFlight = state.InFlight.ToList();
        var expired = TakeExpiredLeases(inFlight, [], now, rerunBelow: 0);
        return expired.Count == 0 ? new Plan(state, [], [], []) : new Plan(state with { InFlight = inFlight }, [], [], expired);
    }

    /// <summary>The wake time of a state without a usable definition: only lost leases need waking for (to record them).</summary>
    public static DateTimeOffset? LeaseWakeAt(ScheduleState state) =>
        state.InFlight.Count == 0 ? null : state.InFlight.Min(r => r.LeaseUntil);

    private List<InFlightRun> TakeExpiredLeases(List<InFlightRun> inFlight, List<PendingRun> pending, DateTimeOffset now) =>
        TakeExpiredLeases(inFlight, pending, now, Math.Max(Policies.MaxAttempts, CrashAttempts));

    private static List<InFlightRun> TakeExpiredLeases(List<InFlightRun> inFlight, List<PendingRun> pending, DateTimeOffset now, int rerunBelow)
    {
        var expired = inFlight.Where(r => r.LeaseUntil <= now).ToList();
        foreach (var run in expired)
        {
            inFlight.Remove(run);
            if (run.Attempt < rerunBelow && !run.Abandoned) // an abandoned run's outcome (TimedOut) is recorded already
            {
                pending.Add(new PendingRun(run.Due, run.Attempt + 1, run.LeaseUntil, PendingKind.Abandoned)); // due since the lease ended
            }
        }

        return expired;
    }

    /// <summary>Fills <paramref name="due"/> with the occurrences to run now, applying the misfire policy, and returns the new next due time.</summary>
    private DateTimeOffset? CollectDue(DateTimeOffset? next, DateTimeOffset now, DateTimeOffset cutoff, List<DateTimeOffset> due, List<LedgerNote> notes)
    {
        if (next is not { } first || FireTime(first) > cutoff)
        {
            return next;
        }

        var lateCut = now - Policies.MisfireGrace;
        if (FireTime(first) < lateCut && Policies.Coalesce != CoalescePolicy.All)
        {
            var lastLate = timeline.LatestAtOrBefore(lateCut, first) ?? first;
            if (lastLate > first && FireTime(lastLate) >= lateCut)
            {
                lastLate = timeline.LatestAtOrBefore(lastLate.AddTicks(-1), first) ?? first;
            }

            var count = timeline.Count(first, lastLate);
            var lateBy = now - FireTime(first);
            switch (Policies.Coalesce)
            {
                case CoalescePolicy.Earliest:
                    due.Add(first);
                    if (count > 1)
                    {
                        notes.Add(MissedNote(timeline.Next(first)!.Value, lastLate, count - 1, lateBy, $"coalesced into the run of {first:O} (Coalesce=Earliest)"));
                    }

                    break;
                case CoalescePolicy.Latest:
                    due.Add(lastLate);
                    if (count > 1)
                    {
                        var beforeLast = timeline.LatestAtOrBefore(lastLate.AddTicks(-1), first) ?? first;
                        notes.Add(MissedNote(first, beforeLast, count - 1, lateBy, $"coalesced into the run of {lastLate:O} (Coalesce=Latest)"));
                    }

                    break;
                default:
                    notes.Add(MissedNote(first, lastLate, count, lateBy, "not run (Coalesce=None)"));
                    break;
            }

            next = timeline.Next(lastLate);
        }

        while (next is { } n && FireTime(n) <= cutoff && due.Count < MaxOccurrencesPerPlan)
        {
            due.Add(n);
            next = timeline.Next(n);
        }

        return next;
    }

    private LedgerNote MissedNote(DateTimeOffset first, DateTimeOffset last, long count, TimeSpan lateBy, string what) =>
        new(RunStatus.Missed, first, last, count,
            $"{count}{(count >= 100_000 ? "+" : "")} occurrence{(count == 1 ? "" : "s")} from {first:O} to {last:O} missed: first seen {Describe(lateBy)} late, past the {Describe(Policies.MisfireGrace)} misfire grace; {what}");

    private void ApplyOverlap(DateTimeOffset occurrence, List<PendingRun> pending, List<DateTimeOffset> skipped)
    {
        var buffered = pending.Count(p => p.Kind == PendingKind.Buffered);
        var hold = pending.Count < MaxPending && Policies.Overlap switch
        {
            OverlapPolicy.BufferOne => buffered == 0,
            OverlapPolicy.BufferAll => buffered < MaxBuffered,
            _ => false,
        };
        if (hold)
        {
            pending.Add(new PendingRun(occurrence, 1, occurrence, PendingKind.Buffered));
        }
        else
        {
            skipped.Add(occurrence);
        }
    }

    private string SkipReason(InFlightRun holder) => Policies.Overlap switch
    {
        OverlapPolicy.AllowAll => $"MaxConcurrency {Policies.MaxConcurrency} reached (Overlap=AllowAll)",
        OverlapPolicy.BufferOne => $"run of {holder.Due:O} still in flight on {holder.Instance} and one occurrence is already buffered (Overlap=BufferOne)",
        OverlapPolicy.BufferAll => $"run of {holder.Due:O} still in flight and no more runs can wait (at most {MaxBuffered} buffered, {MaxPending} waiting in all) (Overlap=BufferAll)",
        _ => $"run of {holder.Due:O} still in flight on {holder.Instance} (Overlap=Skip)",
    };

    /// <summary>When the lease of a run that starts (or is claimed) at <paramref name="start"/> ends: its timeout and the margin after it.</summary>
    public DateTimeOffset LeaseFrom(DateTimeOffset start) => start + Policies.Timeout + (leaseMargin ?? DefaultLeaseMargin);

    private ClaimedRun Claim(DateTimeOffset due, int attempt, ClaimReason reason, DateTimeOffset now, List<InFlightRun> inFlight)
    {
        var leaseUntil = LeaseFrom(now);
        inFlight.Add(new InFlightRun(due, attempt, leaseUntil, instance, now, queueClaims, queueClaims ? null : now));
        return new ClaimedRun(due, attempt, reason, leaseUntil);
    }

    private static ClaimReason ReasonFor(PendingKind kind) => kind switch
    {
        PendingKind.Retry => ClaimReason.Retry,
        PendingKind.Buffered => ClaimReason.Buffered,
        PendingKind.Manual => ClaimReason.Manual,
        _ => ClaimReason.LeaseExpired,
    };

    internal static string Describe(TimeSpan span) => span.TotalSeconds < 120
        ? $"{span.TotalSeconds:0.#}s"
        : span.TotalHours < 48 ? $"{span.TotalMinutes:0}m" : $"{span.TotalDays:0.#}d";
}
