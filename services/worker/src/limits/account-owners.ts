import type { Redis } from 'ioredis';
import type { LimitedProvider } from './limit-key.ts';

/** How long the fleet remembers who owns a token (tokens are short-lived; owners do not change). */
const OWNER_TTL_S = 24 * 3600;
/** Owners remembered in this process, beyond which the oldest are forgotten. */
const LOCAL_ENTRIES = 10_000;

/**
 * Who owns a token, as the provider names the account, remembered fleet-wide in Redis under a
 * digest of the token (never the token): every token of one user then shares one limiter key, so
 * imports submitted with different tokens of the same account are held to that account's limit
 * together. One lookup per token for the whole fleet.
 */
export class AccountOwners {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #local = new Map<string, string>();
  /** Lookups in progress here, so concurrent imports with one token ask the provider once. */
  readonly #pending = new Map<string, Promise<string>>();

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async ownerOf(
    provider: LimitedProvider,
    tokenDigest: string,
    lookup: () => Promise<string>,
  ): Promise<string> {
    const key = `${this.#prefix}owner:${provider}:${tokenDigest}`;
    const local = this.#local.get(key);
    if (local) return local;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#find(key, lookup).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #find(key: string, lookup: () => Promise<string>): Promise<string> {
    const known = await this.#redis.get(key);
    if (known) return this.#remember(key, known);
    const owner = await lookup();
    await this.#redis.set(key, owner, 'EX', OWNER_TTL_S);
    return this.#remember(key, owner);
  }

  #remember(key: string, owner: string): string {
    if (!this.#local.has(key) && this.#local.size >= LOCAL_ENTRIES) {
      const oldest = this.#local.keys().next().value;
      if (oldest !== undefined) this.#local.delete(oldest);
    }
    this.#local.set(key, owner);
    return owner;
  }
}
