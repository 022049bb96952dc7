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

export interface PausedAccount {
  /** The limiter key, e.g. `dropbox:app:<appKey>`: never a credential (tokens are digested). */
  account: string;
  remainingMs: number;
}

/** Redis glob metacharacters, so a prefix matches only itself. */
const GLOB_SPECIAL = /[*?[\]\\]/g;

/** The provider accounts the fleet holds back now, longest pause first; reads, never writes. */
export async function readPausedAccounts(redis: Redis, queue: string): Promise<PausedAccount[]> {
  const pausePrefix = accountPauseKey(limitsPrefix(queue), '');
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(
      cursor,
      'MATCH',
      `${pausePrefix.replace(GLOB_SPECIAL, '\\$&')}*`,
      'COUNT',
      500,
    );
    for (const key of batch) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  const paused: PausedAccount[] = [];
  for (const key of keys) {
    // A pause that ended between SCAN and PTTL answers -2: it is no longer a pause.
    const remainingMs = await redis.pttl(key);
    if (remainingMs > 0) paused.push({ account: key.slice(pausePrefix.length), remainingMs });
  }
  return paused.sort((a, b) => b.remainingMs - a.remainingMs);
}
