import { PRIORITY_LIMIT } from 'bullmq';

/**
 * BullMQ priorities that keep one tenant's backlog from starving another (the open-source edition
 * has no per-tenant groups). A job's priority is the number of its tenant's imports ahead of it in
 * BullMQ when it is fed (QueueFeeder): those fed and not final (waiting, delayed or running), then
 * the earlier ones of the same feeding pass. Imports still waiting to be fed are not counted: they
 * are behind it, and the feeder takes tenants in turn (fairShares), so they cannot starve it either.
 *
 * How BullMQ 6.7 takes jobs (moveToActive / fetchNextJob): the plain wait list first, FIFO, which is
 * where priority 0 goes; then the prioritized set, lowest priority first, FIFO within one. Retries,
 * rate-limit waits and drain hand-backs (moveToDelayed) come back at the job's own priority, behind
 * the jobs already there. A stalled job (its worker died) goes to the front of the wait list, once.
 *
 * So a tenant with nothing outstanding gets 0 and is taken at the next free slot, ahead of another
 * tenant's fed jobs (numbered 1..999 after their first, in a window of 1,000), while each tenant's
 * imports keep their order.
 *
 * The bound: at any moment a tenant has at most k outstanding jobs with a priority below k (a job
 * got k because k of its tenant's jobs were outstanding; a job after it saw those too). A job with
 * priority p therefore has at most p + 1 jobs of each other tenant ahead of it at that moment.
 *
 * As backlogs drain: the count is of what is outstanding now, with no memory, so a tenant whose
 * backlog has drained is back at 0 and yesterday's backlog costs nothing today; a tenant's new jobs
 * are ranked by what it still has outstanding, never by what it once had. The price of keeping no
 * state is that a queued job's priority does not improve as its tenant's backlog drains: a tenant's
 * new job may overtake its own older, higher-numbered ones, and those older ones wait behind any
 * other tenant's jobs numbered lower until the other tenant runs out of them.
 */
export function fairPriorities(tenants: readonly string[], backlogs: ReadonlyMap<string, number>): number[] {
  const ahead = new Map(backlogs);
  return tenants.map((tenant) => {
    const count = ahead.get(tenant) ?? 0;
    ahead.set(tenant, count + 1);
    return Math.min(count, PRIORITY_LIMIT);
  });
}
