import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { StoreKeys } from '../store/keys.ts';

/** After a rotation the old secret still signs this long: receivers switch over, retries still verify. */
export const ROTATION_GRACE_MS = 24 * 3600 * 1000;

/** Standard Webhooks' secret format: `whsec_` and the key's bytes in base64. */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export interface WebhookSigningSecrets {
  current: string;
  /** The secret before the last rotation, while its grace period lasts. */
  previous?: { secret: string; validUntil: string };
}

/** Moves current to previous (with its end of grace) and sets the new one, in one step. */
const ROTATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'current')
if current then
  redis.call('HSET', KEYS[1], 'previous', current, 'previousUntilMs', ARGV[2])
end
redis.call('HSET', KEYS[1], 'current', ARGV[1])
`;

/**
 * Each tenant's webhook signing secret, made on first need and kept sealed (SecretBox) in Redis,
 * bound to the tenant so a sealed value copied to another tenant's key does not open.
 */
export class WebhookSecrets {
  readonly #redis: Redis;
  readonly #keys: StoreKeys;
  readonly #box: SecretBox;
  readonly #now: () => number;

  constructor(redis: Redis, keys: StoreKeys, box: SecretBox, now: () => number = Date.now) {
    this.#redis = redis;
    this.#keys = keys;
    this.#box = box;
    this.#now = now;
  }

  /** The tenant's secrets; the first call for a tenant makes one (concurrent first calls agree). */
  async get(tenant: string): Promise<WebhookSigningSecrets> {
    const key = this.#keys.notifySecret(tenant);
    let stored = await this.#redis.hgetall(key);
    if (!stored.current) {
      await this.#redis.hsetnx(key, 'current', this.#seal(tenant, newSecret()));
      stored = await this.#redis.hgetall(key);
    }
    return this.#open(tenant, stored);
  }

  /** A new current secret; the one it replaces keeps signing too for ROTATION_GRACE_MS. */
  async rotate(tenant: string): Promise<WebhookSigningSecrets> {
    const key = this.#keys.notifySecret(tenant);
    const until = this.#now() + ROTATION_GRACE_MS;
    await this.#redis.eval(ROTATE_SCRIPT, 1, key, this.#seal(tenant, newSecret()), String(until));
    return this.#open(tenant, await this.#redis.hgetall(key));
  }

  #open(tenant: string, stored: Record<string, string>): WebhookSigningSecrets {
    const current = this.#box.open(stored.current ?? '', context(tenant));
    const until = Number(stored.previousUntilMs ?? 0);
    if (!stored.previous || until <= this.#now()) return { current };
    return {
      current,
      previous: {
        secret: this.#box.open(stored.previous, context(tenant)),
        validUntil: new Date(until).toISOString(),
      },
    };
  }

  #seal(tenant: string, secret: string): string {
    return this.#box.seal(secret, context(tenant));
  }
}

function newSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

function context(tenant: string): string {
  return JSON.stringify(['notify.secret', tenant]);
}
