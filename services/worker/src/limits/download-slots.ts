import { randomBytes } from 'node:crypto';
import type { Logger } from '@ferry/shared';
import type { Redis } from 'ioredis';
import { defineScript, type RedisScript } from './redis-scripts.ts';

// Leases are scored by Redis's own clock, so a worker with a clock ahead cannot expire others' leases.
const NOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

// Expired leases (a worker that died holding them) are swept before counting. Answers -1 when the
// slot is taken, else the ms until the earliest lease runs out.
const ACQUIRE = `${NOW}
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], 2 * lease)
  return -1
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(0, tonumber(first[2]) - now)
`;

// Renews only a lease still held: one swept away is not brought back behind the others' backs.
const RENEW = `${NOW}
local lease = tonumber(ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2 * lease)
return 1
`;

const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

export interface DownloadSlot {
  /** Gives the slot back; later calls do nothing. */
  release(): void;
}

interface Waiter {
  signal: AbortSignal;
  resolve(slot: DownloadSlot): void;
  reject(error: unknown): void;
}

interface KeyQueue {
  max: number;
  waiters: Waiter[];
  pumping: boolean;
  /** A slot was freed since the last try: try again before sleeping. */
  freed: boolean;
  wake: (() => void) | null;
}

/**
 * A fleet-wide counting semaphore per account: leases in a Redis sorted set, renewed while held.
 * A worker that dies holding slots stops renewing them, and they come back when the lease runs out.
 * Releases are published so waiting workers try again at once; a timer covers a missed message.
 * (Bottleneck's clustered maxConcurrent cannot do this: it frees a dead client's jobs only through
 * job expirations, which cannot be renewed and would cut off a long download.)
 */
export class DownloadSlots {
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #leaseMs: number;
  readonly #logger: Logger;
  readonly #owner = randomBytes(8).toString('hex');
  #counter = 0;
  readonly #acquire: RedisScript;
  readonly #renew: RedisScript;
  readonly #release: RedisScript;
  readonly #queues = new Map<string, KeyQueue>();
  /** Lease member → limiter key, for every slot this process holds. */
  readonly #held = new Map<string, string>();
  readonly #renewer: NodeJS.Timeout;
  #renewing = false;
  #closed = false;

  /** Uses `client` for commands (it stays the caller's) and a duplicate of its own for messages. */
  constructor(options: { client: Redis; prefix: string; leaseMs: number; logger: Logger }) {
    this.#client = options.client;
    this.#prefix = options.prefix;
    this.#channel = `${options.prefix}slots-freed`;
    this.#leaseMs = options.leaseMs;
    this.#logger = options.logger;
    this.#acquire = defineScript(this.#client, 'ferryLimitsAcquireSlot', 1, ACQUIRE);
    this.#renew = defineScript(this.#client, 'ferryLimitsRenewSlot', 1, RENEW);
    this.#release = defineScript(this.#client, 'ferryLimitsReleaseSlot', 1, RELEASE);
    this.#subscriber = this.#client.duplicate();
    this.#subscriber.on('error', (error: Error) =>
      this.#logger.warn({ err: error }, 'rate limit subscriber error'),
    );
    this.#subscriber.on('message', (_channel: string, key: string) => this.#freed(key));
    this.#subscriber.subscribe(this.#channel).catch((error: unknown) => {
      if (this.#closed) return;
      this.#logger.warn(
        { err: error },
        'could not subscribe to freed download slots; falling back to polling',
      );
    });
    this.#renewer = setInterval(() => void this.#renewAll(), Math.max(1, Math.floor(this.#leaseMs / 3)));
    this.#renewer.unref();
  }

  /** Waits for one of the key's `max` fleet-wide slots; rejects with the signal's reason on abort. */
  acquire(key: string, max: number, signal: AbortSignal): Promise<DownloadSlot> {
    if (this.#closed) return Promise.reject(new Error('download slots are closed'));
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<DownloadSlot>((resolve, reject) => {
      const queue = this.#queueOf(key, max);
      const onAbort = () => {
        const at = queue.waiters.indexOf(waiter);
        if (at >= 0) queue.waiters.splice(at, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        signal,
        resolve: (slot) => {
          signal.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.waiters.push(waiter);
      void this.#pump(key, queue);
    });
  }

  /**
   * Stops renewing and disconnects. Slots still held are not given back: their holders may still be
   * reading, so they run out with their leases as a dead worker's would.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renewer);
    for (const queue of this.#queues.values()) {
      for (const waiter of queue.waiters.splice(0)) waiter.reject(new Error('download slots are closed'));
      queue.wake?.();
    }
    // Nothing to flush on a subscriber, and quit would wait out a Redis outage.
    this.#subscriber.disconnect();
  }

  #queueOf(key: string, max: number): KeyQueue {
    const existing = this.#queues.get(key);
    if (existing) return existing;
    const queue: KeyQueue = { max, waiters: [], pumping: false, freed: false, wake: null };
    this.#queues.set(key, queue);
    return queue;
  }

  /** One loop per key and process asks Redis for slots, in turn for the waiters queued here. */
  async #pump(key: string, queue: KeyQueue): Promise<void> {
    if (queue.pumping) return;
    queue.pumping = true;
    try {
      while (queue.waiters.length > 0 && !this.#closed) {
        queue.freed = false;
        const member = `${this.#owner}:${++this.#counter}`;
        const waitMs = Number(await this.#acquire(this.#slotsKey(key), queue.max, this.#leaseMs, member));
        if (waitMs < 0) {
          this.#held.set(member, key);
          const slot = this.#slot(key, member);
          const waiter = queue.waiters.shift();
          if (waiter) waiter.resolve(slot);
          else slot.release();
          continue;
        }
        if (queue.freed) continue;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            queue.wake = null;
            resolve();
          };
          const timer = setTimeout(done, Math.min(this.#leaseMs, Math.max(20, waitMs + 5)));
          queue.wake = done;
        });
      }
    } catch (error) {
      for (const waiter of queue.waiters.splice(0)) waiter.reject(error);
    } finally {
      queue.pumping = false;
      if (queue.waiters.length === 0 && this.#queues.get(key) === queue) this.#queues.delete(key);
    }
  }

  #slot(key: string, member: string): DownloadSlot {
    return {
      release: () => {
        if (!this.#held.delete(member) || this.#closed) return;
        this.#release(this.#slotsKey(key), member, this.#channel, key).then(
          () => this.#freed(key),
          (error: unknown) => this.#logger.warn({ err: error, key }, 'could not release a download slot'),
        );
      },
    };
  }

  #freed(key: string): void {
    const queue = this.#queues.get(key);
    if (!queue) return;
    queue.freed = true;
    queue.wake?.();
  }

  async #renewAll(): Promise<void> {
    if (this.#renewing || this.#held.size === 0) return;
    this.#renewing = true;
    try {
      await Promise.all(
        [...this.#held].map(async ([member, key]) => {
          const kept = Number(await this.#renew(this.#slotsKey(key), this.#leaseMs, member));
          // Said once: the lease is no longer this process's to renew or to give back.
          if (kept === 0 && this.#held.delete(member)) {
            this.#logger.warn(
              { key },
              'a download slot lease ran out while held: the key may briefly exceed its limit',
            );
          }
        }),
      );
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not renew download slot leases');
    } finally {
      this.#renewing = false;
    }
  }

  #slotsKey(key: string): string {
    return `${this.#prefix}slots:${key}`;
  }
}
