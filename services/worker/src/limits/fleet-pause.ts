import { accountPauseKey, pausedAccountsKey } from '@ferry/shared';
import type { Redis } from 'ioredis';
import { defineScript, type RedisScript } from './redis-scripts.ts';

// A throttle that arrives while the account is already paused came from a request issued before the
// pause: it joins that pause and does not count as another throttle in a row.
const THROTTLED = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  return {ttl, tonumber(redis.call('GET', KEYS[2]) or '1')}
end
local consecutive = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {0, consecutive}
`;

// Pauses only ever grow: a shorter Retry-After never cuts short a pause another worker set. The
// index (KEYS[2], see pausedAccountsKey) names the account until the pause ends, for the operator
// pages; entries of pauses long over are dropped as new ones come.
const EXTEND = `
local ttl = redis.call('PTTL', KEYS[1])
local wanted = tonumber(ARGV[1])
if ttl >= wanted then return ttl end
redis.call('SET', KEYS[1], '1', 'PX', wanted)
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[2], nowMs + wanted, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowMs)
return wanted
`;

export interface Throttle {
  /** Throttles in a row on this account, this one included. */
  consecutive: number;
  /** What is left of a pause already in force, 0 when none is. */
  pausedMs: number;
}

/**
 * The fleet-wide pause of each account, kept in Redis so every worker sees it at once. Durations come
 * from Redis's own clock (PTTL, PX), so workers whose clocks disagree still pause together.
 */
export class FleetPause {
  readonly #client: Redis;
  readonly #prefix: string;
  /** Throttles in a row are forgotten after this long without one. */
  readonly #memoryMs: number;
  readonly #throttled: RedisScript;
  readonly #extend: RedisScript;

  constructor(client: Redis, prefix: string, memoryMs: number) {
    this.#client = client;
    this.#prefix = prefix;
    this.#memoryMs = memoryMs;
    this.#throttled = defineScript(client, 'ferryLimitsThrottled', 2, THROTTLED);
    this.#extend = defineScript(client, 'ferryLimitsExtendPause', 2, EXTEND);
  }

  /** Milliseconds the account stays paused, 0 when it is not. */
  async remainingMs(key: string): Promise<number> {
    return Math.max(0, await this.#client.pttl(this.#pauseKey(key)));
  }

  /** Counts a throttle on the account. */
  async throttled(key: string): Promise<Throttle> {
    const [pausedMs, consecutive] = (await this.#throttled(
      this.#pauseKey(key),
      this.#countKey(key),
      this.#memoryMs,
    )) as [number, number];
    return { pausedMs, consecutive };
  }

  /** Pauses the account for at least `ms`; answers the pause now in force. */
  async pause(key: string, ms: number): Promise<number> {
    return Number(
      await this.#extend(
        this.#pauseKey(key),
        pausedAccountsKey(this.#prefix),
        Math.max(1, Math.ceil(ms)),
        key,
      ),
    );
  }

  /** A request went through: the next throttle starts the backoff over. */
  async settled(key: string): Promise<void> {
    await this.#client.del(this.#countKey(key));
  }

  #pauseKey(key: string): string {
    return accountPauseKey(this.#prefix, key);
  }

  #countKey(key: string): string {
    return `${this.#prefix}throttles:${key}`;
  }
}
