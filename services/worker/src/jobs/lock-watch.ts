import type { Job } from 'bullmq';

export interface LockWatchOptions {
  /** BullMQ's lockDuration (JOB_LOCK_MS): how long a lock lives in Redis after its last renewal. */
  lockDurationMs: number;
  /** Told once per job whose lock may expire any moment now, without a word from Redis. */
  onExpired: (jobId: string) => void;
  now?: () => number;
}

/**
 * The share of a lock period after the last confirmed renewal at which a job counts as lost. It
 * must stay below 1: the lock expires in Redis one period after the renewal was *executed*, which
 * is a little before it was confirmed here. With renewals every quarter period (see
 * `lockRenewTimeMs`) a healthy connection never comes near it.
 */
const EXPIRED_AFTER = 0.75;

/**
 * BullMQ renews a job's lock through Redis and reports a failed renewal only when Redis answers.
 * While Redis is unreachable the renewals wait unanswered, the lock runs out by Redis's clock (which
 * an AOF restart keeps), and once Redis is back another worker may find the job stalled and take it:
 * by the time `lockRenewalFailed` fires here, both would be moving the same import. This watch
 * counts from the last renewal Redis confirmed and stops a job itself before its lock can have
 * expired, so the new owner finds nobody else uploading.
 */
export class LockWatch {
  readonly #lockDurationMs: number;
  readonly #onExpired: (jobId: string) => void;
  readonly #now: () => number;
  /**
   * Job id → when Redis last confirmed its lock (taking the job counts), per run of the processor:
   * a job taken again here while an earlier run still winds down is watched by the new run's entry.
   */
  readonly #watched = new Map<string, { confirmedAt: number; reported: boolean }>();
  readonly #timer: NodeJS.Timeout;

  constructor(options: LockWatchOptions) {
    this.#lockDurationMs = options.lockDurationMs;
    this.#onExpired = options.onExpired;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => this.check(), options.lockDurationMs / 8);
    this.#timer.unref();
  }

  /**
   * BullMQ's lockRenewTime to pair with this watch: renewals every quarter period (BullMQ's default
   * is half), leaving half a period of event-loop lag before a healthy job could count as lost.
   */
  static lockRenewTimeMs(lockDurationMs: number): number {
    return lockDurationMs / 4;
  }

  /** A processor whose jobs are watched from the moment it takes them until it returns. */
  guard<T>(processor: (job: Job, token?: string) => Promise<T>): (job: Job, token?: string) => Promise<T> {
    return async (job, token) => {
      const id = job.id ?? '';
      // The lock was taken when BullMQ fetched the job, a moment before: counted from now.
      const entry = { confirmedAt: this.#now(), reported: false };
      this.#watched.set(id, entry);
      try {
        return await processor(job, token);
      } finally {
        if (this.#watched.get(id) === entry) this.#watched.delete(id);
      }
    };
  }

  /** BullMQ's `locksRenewed`: Redis extended these jobs' locks. */
  renewed(jobIds: readonly string[]): void {
    const now = this.#now();
    for (const id of jobIds) {
      const entry = this.#watched.get(id);
      // A job already reported stays reported: it has been stopped.
      if (entry && !entry.reported) entry.confirmedAt = now;
    }
  }

  /** Reports each job whose lock has gone unconfirmed too long; each one once. */
  check(): void {
    const limit = this.#now() - this.#lockDurationMs * EXPIRED_AFTER;
    for (const [id, entry] of this.#watched) {
      if (entry.reported || entry.confirmedAt >= limit) continue;
      entry.reported = true;
      this.#onExpired(id);
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
