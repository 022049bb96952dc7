import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import { abortable } from '../async/abortable.ts';

interface Turns {
  limiter: Bottleneck;
  /** The key's settings written to Redis (they outlive any one worker's config). */
  ready: Promise<unknown>;
  waiting: number;
  lastUsed: number;
}

const turn = async (): Promise<void> => {};

const SPACING_MARGIN = 1.05;

/**
 * Each account's request schedule, shared by the whole fleet: one Bottleneck limiter per key,
 * clustered on Redis under one id, so its minTime spaces the requests of every worker process.
 * Limiters are made on first use and dropped once idle: a fleet sees many accounts. Their Redis keys
 * expire after the same idle time.
 */
export class RequestTurns {
  readonly #connection: Bottleneck.IORedisConnection;
  readonly #prefix: string;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #turns = new Map<string, Turns>();
  readonly #sweeper: NodeJS.Timeout;

  /** Takes over `client`: Bottleneck duplicates it for its subscriber and quits both on close. */
  constructor(options: {
    client: Redis;
    prefix: string;
    idleMs: number;
    now: () => number;
    onError: (error: unknown) => void;
  }) {
    // Handing Bottleneck the client and the ioredis class keeps it from require()-ing an ioredis of
    // its own, which under pnpm resolves only by accident of hoisting.
    this.#connection = new Bottleneck.IORedisConnection({ client: options.client, Redis });
    this.#connection.on('error', options.onError);
    this.#prefix = options.prefix;
    this.#idleMs = options.idleMs;
    this.#now = options.now;
    this.#onError = options.onError;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(50, options.idleMs / 2));
    this.#sweeper.unref();
  }

  /**
   * Resolves at this process's next turn on the key's fleet-wide schedule: turns of one key are at
   * least 1000/perSecond ms apart across every process sharing the Redis. A turn given up to an abort
   * is still spent when it comes round.
   */
  async take(key: string, perSecond: number, signal: AbortSignal): Promise<void> {
    const turns = this.#turnsOf(key, perSecond);
    turns.waiting++;
    try {
      await abortable(turns.ready, signal);
      await abortable(turns.limiter.schedule(turn), signal);
    } finally {
      turns.waiting--;
      turns.lastUsed = this.#now();
    }
  }

  /** Drops every limiter and disconnects (Bottleneck quits the client it was given). */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#turns.keys()].map((key) => this.#drop(key)));
    await this.#connection.disconnect();
  }

  #turnsOf(key: string, perSecond: number): Turns {
    const existing = this.#turns.get(key);
    if (existing) return existing;
    // Turns are taken in Redis, but requests reach the provider a little later, by varying amounts:
    // spaced exactly 1000/perSecond apart, two of them can land closer, and a provider counting in a
    // sliding second then sees one too many. A 5% margin keeps arrivals under the stated rate.
    const minTime = Math.ceil((1000 * SPACING_MARGIN) / perSecond);
    const limiter = new Bottleneck({
      id: `${this.#prefix}rate:${key}`,
      datastore: 'ioredis',
      connection: this.#connection,
      minTime,
      timeout: this.#idleMs,
    });
    limiter.on('error', this.#onError);
    // A limiter that already exists in Redis keeps the settings it was made with: write ours. (The
    // typings call updateSettings synchronous; it returns the promise of a Redis script.)
    const ready: Promise<unknown> = Promise.resolve(limiter.updateSettings({ minTime }));
    const turns: Turns = { limiter, ready, waiting: 0, lastUsed: this.#now() };
    this.#turns.set(key, turns);
    ready.catch((error: unknown) => {
      this.#onError(error);
      if (this.#turns.get(key) === turns) void this.#drop(key);
    });
    return turns;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, turns] of this.#turns) {
      if (turns.waiting === 0 && now - turns.lastUsed >= this.#idleMs) void this.#drop(key);
    }
  }

  async #drop(key: string): Promise<void> {
    const turns = this.#turns.get(key);
    if (!turns) return;
    this.#turns.delete(key);
    // Turns given up to an abort may still be queued; dropping them frees their timers.
    await turns.limiter.stop({ dropWaitingJobs: true }).catch(this.#onError);
    await turns.limiter.disconnect();
  }
}
