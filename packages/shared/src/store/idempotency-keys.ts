import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Fingerprint } from '../secrets/secret-box.ts';

/** How long a key names what its first request created: a day of client retries. */
export const IDEMPOTENCY_TTL_S = 24 * 3600;

/** Keys are stored by digest: a client may put anything of up to 255 characters in one. */
export function idempotencyKeyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface KeyClaim {
  /** What the key names: `candidateId` when the claim was fresh. */
  id: string;
  fresh: boolean;
  sameBody: boolean;
}

/**
 * Claims the Redis key `redisKey` for an Idempotency-Key. The first claim wins and binds it to
 * `candidateId` and the body's fingerprint; later claims learn which id it names and whether the
 * body matches. The fingerprint is keyed (SecretBox.fingerprint): bodies hold secrets, and a plain
 * hash of one could be checked against guesses.
 */
export async function claimIdempotencyKey(
  redis: Redis,
  redisKey: string,
  candidateId: string,
  body: Fingerprint,
): Promise<KeyClaim> {
  const claimed = await redis.set(redisKey, `${candidateId} ${body.value}`, 'EX', IDEMPOTENCY_TTL_S, 'NX');
  if (claimed === 'OK') return { id: candidateId, fresh: true, sameBody: true };
  const existing = (await redis.get(redisKey)) ?? '';
  const [id = '', stored = ''] = existing.split(' ');
  return { id, fresh: false, sameBody: body.matches(stored) };
}
