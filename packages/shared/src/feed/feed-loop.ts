import type { Logger } from '../logger.ts';
import type { QueueFeeder } from './queue-feeder.ts';

export interface FeedLoopOptions {
  /** QUEUE_FEED_POLL_MS: how often to look for room when nothing else has said to. */
  pollMs: number;
  log: Pick<Logger, 'warn'>;
  /** Told the imports each pass fed (a metric). */
  onFed?: (ids: string[]) => void;
}

/** Longest close() waits for a pass: on a lost connection BullMQ waits for it forever. */
const CLOSE_WAIT_MS = 1000;
/** Tries while another process holds the lease, so a submit's import is fed by the pass it waits on. */
const BUSY_TRIES = 5;
const BUSY_RETRY_MS = 20;

/**
 * Runs a QueueFeeder in one process: a pass every `pollMs`, and one whenever feed() is called, one
 * at a time (calls during a pass share the pass after it).
 *
 * Where it runs: in every API process and every worker process. The API feeds as it writes, so an
 * import submitted to an idle fleet is fed at once, not at the next poll; the workers feed as they
 * take jobs, which is when the window has room, and they feed with no API running at all (one
 * redeploying, or killed mid-submit), so a backlog of unfed imports drains as long as workers run;
 * and the autoscaler, which counts unfed imports, keeps workers running while any wait.
 */
export class FeedLoop {
  readonly #feeder: QueueFeeder;
  readonly #options: FeedLoopOptions;
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;
  #full = false;
  #closed = false;

  constructor(feeder: QueueFeeder, options: FeedLoopOptions) {
    this.#feeder = feeder;
    this.#options = options;
    this.#timer = setInterval(() => void this.feed(), options.pollMs);
    this.#timer.unref();
  }

  /** Resolves (never rejects) once a pass that started after this call has ended. */
  feed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (!this.#running) {
      this.#running = this.#pass().finally(() => {
        this.#running = null;
      });
      return this.#running;
    }
    this.#next ??= this.#running.then(() => {
      this.#next = null;
      return this.feed();
    });
    return this.#next;
  }

  /**
   * feed(), unless the last pass found the window full: then room opens only as workers take jobs,
   * and their own feeders (and the poll) see to it. What a submit calls, so a backlog costs it nothing.
   */
  nudge(): Promise<void> {
    return this.#full ? Promise.resolve() : this.feed();
  }

  /** Stops the poll and waits (a bounded time) for the pass in hand; a pass after it does not start. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
    });
    await Promise.race([Promise.all([this.#running, this.#next]), bound]);
    clearTimeout(timer);
  }

  async #pass(): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        const outcome = await this.#feeder.feedOnce();
        this.#full = outcome.full;
        if (outcome.fed.length > 0) this.#options.onFed?.(outcome.fed);
        if (!outcome.busy || tries >= BUSY_TRIES || this.#closed) return;
      } catch (error) {
        const err =
          error instanceof Error ? { type: error.name, message: error.message } : { type: typeof error };
        this.#options.log.warn({ err }, 'could not feed the queue; trying again at the next pass');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
    }
  }
}
