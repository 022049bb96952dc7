import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ImportJobData } from '../catalog/import-request.ts';
import { Failpoints } from '../failpoints/failpoints.ts';
import { RELEASE_LEASE_SCRIPT } from '../store/job-scripts.ts';
import type { StoreKeys } from '../store/keys.ts';
import { fairPriorities } from './fair-priority.ts';
import { fairShares } from './fair-shares.ts';
import { importJob } from './import-job.ts';
import { type UnfedEntry, UnfedImports } from './unfed-imports.ts';

export interface QueueFeederOptions {
  redis: Redis;
  queue: Queue<ImportJobData>;
  keys: StoreKeys;
  /** QUEUE_FEED_WINDOW: jobs waiting in BullMQ (waiting + prioritized) at most. */
  window: number;
  /** Crash tests: `feed.after-jobs` (jobs added, their unfed entries not yet dropped). */
  failpoints?: Failpoints;
}

export interface FeedOutcome {
  /** Imports whose jobs this pass added, in the order it added them. */
  fed: string[];
  /** The window was full when the pass ended: nothing more fits until a worker takes a job. */
  full: boolean;
  /** Another process held the lease: it feeds now, and this pass did nothing. */
  busy: boolean;
}

/**
 * How long the lease holds. A pass adds at most a window of jobs, far less than this; one that takes
 * longer (Redis crawling) lets a second feeder in, which costs nothing but a window overfilled for a
 * moment: jobs are added by import id, and entries are dropped only as seen (DROP_SEEN_SCRIPT).
 */
const LEASE_MS = 5000;
/** Rounds per pass: one reads each tenant's share, so canceled entries can leave a round short. */
const ROUNDS_PER_PASS = 4;
/** Entries read past a tenant's share, so imports canceled before they were fed do not leave slots empty. */
const STALE_SCAN = 32;

/**
 * Lazy queueing: an import gets its BullMQ job only when the window has room, since a queued job
 * costs Redis some 800 bytes that a record waiting in its tenant's unfed list does not. One pass
 * (feedOnce) reads the room, takes the feed lease (one feeder at a time, so the window holds), and
 * fills the room from the unfed lists, tenants in turn (fairShares) and oldest first within each,
 * every job ranked by fairPriorities; then drops what it fed from the lists.
 *
 * Crash-safe by order: the jobs are added before their entries are dropped, so a process that dies
 * in between leaves entries whose jobs exist; the next pass adds them again, which BullMQ ignores
 * (the job id is the import id), and drops them. An entry is fed only while its import is queued, so
 * a canceled or removed import is dropped without a job, and one that a worker has already started
 * (fed, then the feeder died) is dropped without a second.
 */
export class QueueFeeder {
  readonly #redis: Redis;
  readonly #queue: Queue<ImportJobData>;
  readonly #keys: StoreKeys;
  readonly #unfed: UnfedImports;
  readonly #window: number;
  readonly #failpoints: Failpoints;
  readonly #owner = randomUUID();

  constructor(options: QueueFeederOptions) {
    this.#redis = options.redis;
    this.#queue = options.queue;
    this.#keys = options.keys;
    this.#unfed = new UnfedImports(options.redis, options.keys);
    this.#window = options.window;
    this.#failpoints = options.failpoints ?? new Failpoints();
  }

  async feedOnce(): Promise<FeedOutcome> {
    // A full window (the common case under a backlog) costs one read and no lease.
    if ((await this.#room()) <= 0) return { fed: [], full: true, busy: false };
    const lease = this.#keys.feedLease();
    if ((await this.#redis.set(lease, this.#owner, 'PX', LEASE_MS, 'NX')) !== 'OK') {
      return { fed: [], full: false, busy: true };
    }
    try {
      const fed: string[] = [];
      // Again under the lease: the feeder that held it before may have just filled it.
      let room = await this.#room();
      for (let round = 0; room > 0 && round < ROUNDS_PER_PASS; round++) {
        const { ids, more } = await this.#feedRound(room);
        fed.push(...ids);
        room -= ids.length;
        if (!more) break;
      }
      return { fed, full: room <= 0, busy: false };
    } finally {
      await this.#redis.eval(RELEASE_LEASE_SCRIPT, 1, lease, this.#owner).catch(() => {});
    }
  }

  /**
   * Jobs that fit now. Delayed and running jobs do not count: a worker has started them already, and
   * counting them would let one rate-limited account's waits stop every other tenant's feed. (A
   * paused queue keeps its jobs in the wait list in BullMQ 6, so they count.)
   */
  async #room(): Promise<number> {
    const counts = await this.#queue.getJobCounts('waiting', 'prioritized');
    return this.#window - (counts.waiting ?? 0) - (counts.prioritized ?? 0);
  }

  async #feedRound(room: number): Promise<{ ids: string[]; more: boolean }> {
    const backlogs = await this.#unfed.backlogs();
    const order = fairShares(backlogs, room);
    const reads = new Map<string, number>();
    for (const tenant of order) reads.set(tenant, (reads.get(tenant) ?? STALE_SCAN) + 1);
    const heads = await this.#unfed.heads(reads);

    const taken: Array<{ tenant: string; id: string }> = [];
    const consumed = new Map<string, number>();
    for (const tenant of order) {
      const entries: UnfedEntry[] = heads.get(tenant) ?? [];
      let at = consumed.get(tenant) ?? 0;
      while (at < entries.length && !entries[at]?.live) at++;
      const entry = entries[at];
      if (entry) {
        taken.push({ tenant, id: entry.id });
        at++;
      }
      consumed.set(tenant, at);
    }

    if (taken.length > 0) {
      const fed = new Map(backlogs.map((backlog) => [backlog.tenant, backlog.fed]));
      const priorities = fairPriorities(
        taken.map((job) => job.tenant),
        fed,
      );
      await this.#queue.addBulk(taken.map((job, i) => importJob(job.id, priorities[i] ?? 0)));
      // Jobs in, entries not yet dropped: the next pass must add nothing twice and drop them.
      this.#failpoints.hit('feed.after-jobs');
    }

    // Tenants whose lists have emptied are looked at too, so they leave the set of tenants.
    const seen = new Map<string, string[]>();
    for (const backlog of backlogs) {
      const entries = heads.get(backlog.tenant) ?? [];
      seen.set(
        backlog.tenant,
        entries.slice(0, consumed.get(backlog.tenant) ?? 0).map((entry) => entry.id),
      );
    }
    const dropped = await this.#unfed.dropSeen(seen);
    const unfed = backlogs.reduce((sum, backlog) => sum + backlog.unfed, 0);
    return { ids: taken.map((job) => job.id), more: dropped > 0 && unfed > dropped };
  }
}
