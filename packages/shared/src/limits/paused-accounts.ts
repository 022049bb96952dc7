import type { Redis } from 'ioredis';
import { StoreKeys } from '../store/keys.ts';

/**
 * The Redis key prefix of one queue's fleet-wide limits. Spelled here, not in the worker that owns
 * the limiter, because the API's operator pages read the pauses too.
 */
export function limitsPrefix(queue: string): string {
  return `${new StoreKeys(queue).prefix}limits:`;
}

/** The key whose time to live is what is left of a provider account's fleet-wide pause. */
export function accountPauseKey(prefix: string, account: string): string {
  return `${prefix}pause:${account}`;
}

/**
 * The sorted set that names the accounts paused lately (member: the limiter key, score: when its
 * pause ends, Redis time in ms), so the operator pages find them without scanning the keyspace.
 * Each pause writes its entry; the pause key's own time to live stays the truth.
 */
export function pausedAccountsKey(prefix: string): string {
  return `${prefix}paused`;
}

/** Redis's clock in ms: the index's scores are on it, as the pauses' times to live are. */
async function redisNowMs(redis: Redis): Promise<number> {
  const [seconds = '0', micros = '0'] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Pauses an account for `ms` the way the worker's limiter does: the pause key and its index entry. */
export async function recordPause(redis: Redis, queue: string, account: string, ms: number): Promise<void> {
  const prefix = limitsPrefix(queue);
  const nowMs = await redisNowMs(redis);
  await redis
    .multi()
    .set(accountPauseKey(prefix, account), '1', 'PX', ms)
    .zadd(pausedAccountsKey(prefix), nowMs + ms, account)
    .exec();
}

export interface PausedAccount {
  /** The limiter key, e.g. `dropbox:app:<appKey>`: never a credential (tokens are digested). */
  account: string;
  remainingMs: number;
}

/** The provider accounts the fleet holds back now, longest pause first; reads, never writes. */
export async function readPausedAccounts(redis: Redis, queue: string): Promise<PausedAccount[]> {
  const prefix = limitsPrefix(queue);
  const nowMs = await redisNowMs(redis);
  const accounts = await redis.zrangebyscore(pausedAccountsKey(prefix), `(${nowMs}`, '+inf');
  if (accounts.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const account of accounts) pipeline.pttl(accountPauseKey(prefix, account));
  const ttls = (await pipeline.exec()) ?? [];
  const paused: PausedAccount[] = [];
  for (const [i, account] of accounts.entries()) {
    // The index says when the pause was to end; the key's time to live is what is left of it now.
    const remainingMs = Number(ttls[i]?.[1] ?? -2);
    if (remainingMs > 0) paused.push({ account, remainingMs });
  }
  return paused.sort((a, b) => b.remainingMs - a.remainingMs);
}
