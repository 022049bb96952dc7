/** One tenant's standing when the feeder looks: see UnfedImports.backlogs. */
export interface TenantBacklog {
  tenant: string;
  /** Its imports in BullMQ and not final (waiting, delayed or running): what fairPriorities counts. */
  fed: number;
  /** Entries in its unfed list: at most this many can be fed now. */
  unfed: number;
  /** The id at the head of its unfed list (ids sort by creation time); '' when none. */
  oldest: string;
}

/**
 * Which tenant each of the next `room` slots of the window goes to, in the order they should be
 * fed: always the tenant with the fewest imports in BullMQ (counting those given in this pass), the
 * one waiting longest on a tie. So a tenant with one import waiting is fed at the next free slot
 * whatever another tenant has waiting, and a window shared by busy tenants fills evenly.
 */
export function fairShares(backlogs: readonly TenantBacklog[], room: number): string[] {
  const standing = backlogs
    .filter((backlog) => backlog.unfed > 0)
    .map((backlog) => ({ ...backlog, level: backlog.fed, left: backlog.unfed }));
  const order: string[] = [];
  // A scan per slot: the tenants with unfed imports are few next to the window, and this runs once
  // per feeding pass, off the request path.
  while (order.length < room) {
    let next: (typeof standing)[number] | undefined;
    for (const candidate of standing) {
      if (candidate.left === 0) continue;
      if (
        !next ||
        candidate.level < next.level ||
        (candidate.level === next.level && candidate.oldest < next.oldest)
      ) {
        next = candidate;
      }
    }
    if (!next) break;
    order.push(next.tenant);
    next.level += 1;
    next.left -= 1;
  }
  return order;
}
