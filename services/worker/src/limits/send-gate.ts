import { accountPauseKey } from '@ferry/shared';
import type { Redis } from 'ioredis';
import { defineScript, type RedisScript } from './redis-scripts.ts';

// One round trip right before a request goes out. A pause in force says how long it has left; else
// the spacing key, set for `spacing` ms by the request before, says how long until this one may go,
// or, absent, is set for the next one. SET NX PX is atomic and expires by itself: no clean-up.
const CHECK = `
local paused = redis.call('PTTL', KEYS[1])
if paused > 0 then return {paused, 0} end
local spacing = tonumber(ARGV[1])
if spacing > 0 and not redis.call('SET', KEYS[2], '1', 'PX', spacing, 'NX') then
  return {0, math.max(1, redis.call('PTTL', KEYS[2]))}
end
return {0, 0}
`;

export interface GateVerdict {
  /** What is left of the key's fleet-wide pause; 0 when it is not paused. */
  pausedMs: number;
  /** How long until the request may go, the one before having gone too recently; 0 to go now. */
  spacedMs: number;
}

/**
 * The last check before a request leaves, for the whole fleet: is the key paused, and did its last
 * request leave at least `spacingMs` ago? Bottleneck hands out turns spaced in Redis, but each
 * process then waits for its turn on a local timer: an event loop that lags (a worker's first import,
 * a garbage collection) fires several late timers at once, and the requests would leave together.
 * Here they are spaced again, by when they actually leave.
 */
export class SendGate {
  readonly #prefix: string;
  readonly #check: RedisScript;

  constructor(client: Redis, prefix: string) {
    this.#prefix = prefix;
    this.#check = defineScript(client, 'ferryLimitsSendGate', 2, CHECK);
  }

  /** `spacingMs` 0: the key has no rate, only its pause is checked (and nothing is written). */
  async check(key: string, spacingMs: number): Promise<GateVerdict> {
    const [pausedMs, spacedMs] = (await this.#check(
      accountPauseKey(this.#prefix, key),
      `${this.#prefix}spacing:${key}`,
      Math.max(0, Math.floor(spacingMs)),
    )) as [number, number];
    return { pausedMs, spacedMs };
  }
}
