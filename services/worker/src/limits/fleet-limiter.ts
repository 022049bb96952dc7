import { createRedis, ErrorCode, type Logger } from '@ferry/shared';
import type { Redis } from 'ioredis';
import { abortable, abortableSleep } from '../async/abortable.ts';
import { transientError } from '../errors/transfer-error.ts';
import type { LimiterObserver } from '../metrics/worker-metrics.ts';
import type { BackoffPolicy } from '../transfer/backoff.ts';
import { AccountOwners } from './account-owners.ts';
import { type DownloadSlot, DownloadSlots } from './download-slots.ts';
import { FleetPause } from './fleet-pause.ts';
import { originLimits } from './host-limits.ts';
import { hostOfKey, type LimitedProvider, providerOfKey } from './limit-key.ts';
import type { LimitsConfig } from './limits-env.ts';
import { ProviderThrottled } from './provider-throttled.ts';
import type { KeyLimits } from './rate-limit-overrides.ts';
import { RateLimitedError } from './rate-limited-error.ts';
import { RequestTurns } from './request-turns.ts';
import { SendGate } from './send-gate.ts';
import { throttlePauseMs } from './throttle-pause.ts';

// The prefix is spelled in @ferry/shared: the API's operator pages read the pauses as well.
export { limitsPrefix } from '@ferry/shared';
export { ProviderThrottled } from './provider-throttled.ts';
export { RateLimitedError } from './rate-limited-error.ts';

export interface FleetLimiterOptions {
  /** A Redis URL, or a factory for the one client the limiter takes over (and duplicates). */
  redis: string | (() => Redis);
  /** Where the limits live in Redis: `limitsPrefix(queue)`. */
  prefix: string;
  config: LimitsConfig;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Pauses after throttles without a Retry-After. */
  backoff?: BackoffPolicy;
  /** How long a dead worker's download slot stays taken; held slots are renewed every third of it. */
  slotLeaseMs?: number;
  /** A key's limiter unused this long is dropped, here and in Redis. */
  idleMs?: number;
  /** Hears of pauses and waits, by key (the worker's metrics). */
  observer?: LimiterObserver;
}

export interface HeldDownload<T> {
  value: T;
  /** Gives the download slot back: when the body has been read to the end or dropped. */
  release(): void;
}

/** The limiter's Redis-backed parts, sharing one connection. */
interface LimiterBackend {
  turns: RequestTurns;
  slots: DownloadSlots;
  pause: FleetPause;
  gate: SendGate;
  owners: AccountOwners;
}

/** How often a request asks the send gate again when its answers keep arriving late. */
const MAX_STALE_GATE_ANSWERS = 3;

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 60_000 };

/** What a limiter key labels its metrics with for a plain HTTP origin HTTP_HOST_LIMITS does not name. */
export const UNLISTED_HOSTS_LABEL = 'http:host:other';

/**
 * Every request a worker process sends to a provider account or a plain HTTP origin, held to the
 * key's limits for the whole fleet: requests per second (a Bottleneck limiter clustered on Redis,
 * each request spaced once more as it leaves: see SendGate), concurrent downloads (leased slots in
 * Redis), and the pause a throttled answer asks for, which
 * every worker honours from the moment it is set; an origin without limits is still paused. A
 * throttled call is tried again after the pause and is not a failure; a pause longer than
 * RATE_LIMIT_MAX_WAIT_S ends the wait with a RateLimitedError instead, so the job is delayed rather
 * than failed. One per worker process.
 */
export class FleetLimiter {
  readonly #config: LimitsConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #backoff: BackoffPolicy;
  readonly #connect: () => LimiterBackend;
  readonly #observer: LimiterObserver | null;
  #backend: LimiterBackend | null = null;
  /** Keys this process saw throttled: its next success there starts the backoff over. */
  readonly #throttledKeys = new Set<string>();
  readonly #closing = new AbortController();
  #closed: Promise<void> | null = null;

  constructor(options: FleetLimiterOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#observer = options.observer ?? null;
    // Connected on the first provider or HTTP request: a worker that only ever sees S3 sources opens
    // no limiter connections.
    this.#connect = () => {
      const client =
        typeof options.redis === 'string'
          ? createRedis(options.redis, { blocking: true, name: 'ferry-limits' })
          : options.redis();
      const onError = (error: unknown) => this.#logger.warn({ err: error }, 'rate limiter error');
      return {
        turns: new RequestTurns({
          client,
          prefix: options.prefix,
          idleMs: options.idleMs ?? 5 * 60_000,
          now: this.#now,
          onError,
        }),
        slots: new DownloadSlots({
          client,
          prefix: options.prefix,
          leaseMs: options.slotLeaseMs ?? 15_000,
          logger: this.#logger,
        }),
        pause: new FleetPause(client, options.prefix, 2 * this.#backoff.capMs),
        gate: new SendGate(client, options.prefix),
        owners: new AccountOwners(client, options.prefix),
      };
    };
  }

  get #limits(): LimiterBackend {
    if (!this.#backend) {
      // Nothing may connect after close(): it would never be disconnected.
      this.#closing.signal.throwIfAborted();
      this.#backend = this.#connect();
    }
    return this.#backend;
  }

  /**
   * The provider's id for the owner of the token with `tokenDigest`: remembered for the fleet, else
   * found with `lookup` (a request the caller makes through this limiter).
   */
  ownerOf(provider: LimitedProvider, tokenDigest: string, lookup: () => Promise<string>): Promise<string> {
    return this.#limits.owners.ownerOf(provider, tokenDigest, lookup);
  }

  /** Runs `fn` (one request to the provider or origin) within the key's limits; see the class comment. */
  async request<T>(key: string, fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    return this.#limited(key, this.#limitsOf(key), fn, this.#scope(signal));
  }

  /**
   * As `request`, holding one of the key's fleet-wide download slots from before the request until
   * `release()`. The slot is given back at once when the request fails.
   */
  async download<T>(key: string, fn: () => Promise<T>, signal: AbortSignal): Promise<HeldDownload<T>> {
    const limits = this.#limitsOf(key);
    const scope = this.#scope(signal);
    if (!limits) return { value: await this.#limited(key, null, fn, scope), release: () => {} };
    const slot: DownloadSlot = await this.#limits.slots.acquire(key, limits.maxDownloads, scope);
    try {
      return { value: await this.#limited(key, limits, fn, scope), release: slot.release };
    } catch (error) {
      slot.release();
      throw error;
    }
  }

  /** When the key's fleet-wide pause ends (ms since the epoch), or null when it is not paused. */
  async pausedUntil(key: string): Promise<number | null> {
    const remaining = await this.#limits.pause.remainingMs(key);
    return remaining > 0 ? this.#now() + remaining : null;
  }

  /** Ends every wait in progress and disconnects; download slots still held run out with their leases. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(transientError(ErrorCode.INTERNAL, 'the rate limiter is closed'));
      if (!this.#backend) return;
      await this.#backend.slots.close();
      await this.#backend.turns.close();
    })();
    return this.#closed;
  }

  /** `limits` null: an origin without limits, which only its pauses hold back. */
  async #limited<T>(
    key: string,
    limits: KeyLimits | null,
    fn: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    const maxWaitMs = this.#config.RATE_LIMIT_MAX_WAIT_S * 1000;
    let pausedMs = 0;
    const waitOut = async (remainingMs: number) => {
      if (pausedMs + remainingMs > maxWaitMs) throw new RateLimitedError(key, this.#now() + remainingMs);
      pausedMs += remainingMs;
      const since = performance.now();
      try {
        await this.#sleep(remainingMs, signal);
      } finally {
        this.#observer?.waited(this.#labelOf(key), (performance.now() - since) / 1000);
      }
    };
    for (;;) {
      if (limits) await this.#limits.turns.take(key, limits.perSecond, signal);
      // Checked after the turn, right before the request goes out: a pause set by any worker while
      // this one queued holds this request back too.
      const remainingMs = await this.#clearToSend(key, limits, signal);
      if (remainingMs > 0) {
        await waitOut(remainingMs);
        continue;
      }
      let value: T;
      try {
        value = await fn();
      } catch (error) {
        if (!(error instanceof ProviderThrottled) || signal.aborted) throw error;
        await waitOut(await abortable(this.#pauseFor(key, error), signal));
        continue;
      }
      if (this.#throttledKeys.delete(key)) {
        await this.#limits.pause
          .settled(key)
          .catch((error: unknown) => this.#logger.warn({ err: error }, 'rate limiter error'));
      }
      return value;
    }
  }

  /**
   * Waits until the key's last request left long enough ago (turns that a late timer bunched are
   * spaced again), unless the key is paused: answers what is left of the pause, 0 when none is.
   */
  async #clearToSend(key: string, limits: KeyLimits | null, signal: AbortSignal): Promise<number> {
    // Unlike the turns' spacing, no margin: the turns run 5% slower, so the gate rarely holds one back.
    const spacingMs = limits ? Math.floor(1000 / limits.perSecond) : 0;
    let staleAnswers = 0;
    for (;;) {
      const asked = this.#now();
      const { pausedMs, spacedMs } = await abortable(this.#limits.gate.check(key, spacingMs), signal);
      if (pausedMs > 0) return pausedMs;
      if (spacedMs === 0) {
        // An answer read a spacing late (this process's event loop stood still meanwhile) let the
        // request go at a moment long past: others may have gone since, and it would arrive bunched
        // with them. Asked again, the gate spaces it from when it really leaves. Bounded, so a process
        // that lags all the time still sends.
        const stale = spacingMs > 0 && this.#now() - asked > spacingMs;
        if (!stale || ++staleAnswers > MAX_STALE_GATE_ANSWERS) return 0;
        continue;
      }
      // A few milliseconds on the wall clock, whatever clock the pauses are waited out on.
      await abortableSleep(spacedMs, signal);
    }
  }

  /** Pauses the key fleet-wide for what the throttle asks; answers how long the pause now lasts. */
  async #pauseFor(key: string, throttle: ProviderThrottled): Promise<number> {
    this.#throttledKeys.add(key);
    const { consecutive, pausedMs } = await this.#limits.pause.throttled(key);
    const wantedMs = throttlePauseMs(consecutive, throttle.retryAfterMs, this.#backoff, this.#random);
    // A throttle from a request sent before the pause began joins it, unless it asks for longer.
    if (pausedMs > 0 && (throttle.retryAfterMs === null || throttle.retryAfterMs <= pausedMs))
      return pausedMs;
    const pauseMs = await this.#limits.pause.pause(key, wantedMs);
    this.#observer?.paused(this.#labelOf(key));
    this.#logger.warn(
      { key, pauseMs, retryAfterMs: throttle.retryAfterMs, consecutive },
      hostOfKey(key) === null
        ? 'provider throttled: pausing the account for the whole fleet'
        : 'origin throttled: pausing the host for the whole fleet',
    );
    return pauseMs;
  }

  #limitsOf(key: string): KeyLimits | null {
    const override = this.#config.RATE_LIMIT_OVERRIDES.get(key);
    if (override) return override;
    const host = hostOfKey(key);
    if (host !== null) return originLimits(this.#config.HTTP_HOST_LIMITS, host).limits;
    switch (providerOfKey(key)) {
      case 'dropbox':
        return {
          perSecond: this.#config.DROPBOX_RATE_LIMIT_PER_S,
          maxDownloads: this.#config.DROPBOX_MAX_DOWNLOADS,
        };
      case 'gdrive':
        return {
          perSecond: this.#config.GDRIVE_RATE_LIMIT_PER_S,
          maxDownloads: this.#config.GDRIVE_MAX_DOWNLOADS,
        };
      case null:
        throw new Error(`not a limiter key: ${key}`);
    }
  }

  /**
   * The key as metrics label it: a provider account's key, an origin's only when HTTP_HOST_LIMITS
   * names it. Tenants pick the hosts they import from, so one series per host would grow without end.
   */
  #labelOf(key: string): string {
    const host = hostOfKey(key);
    if (host === null || originLimits(this.#config.HTTP_HOST_LIMITS, host).listed) return key;
    return UNLISTED_HOSTS_LABEL;
  }

  #scope(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, this.#closing.signal]);
  }
}
