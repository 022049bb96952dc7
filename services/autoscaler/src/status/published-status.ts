import { StoreKeys } from '@ferry/shared';
import type { Redis } from 'ioredis';
import type { StatusDocument } from './status-document.ts';

export type { StatusDocument };

/** Where the autoscaler keeps its last status for the queue it sizes the fleet of. */
export function publishedStatusKey(queue: string): string {
  return `${new StoreKeys(queue).prefix}autoscaler`;
}

/**
 * Writes the status with a time to live, so a stopped or dead autoscaler's last word disappears by
 * itself instead of being taken for the current state.
 */
export async function publishStatus(
  redis: Redis,
  queue: string,
  status: StatusDocument,
  ttlMs: number,
): Promise<void> {
  await redis.set(publishedStatusKey(queue), JSON.stringify(status), 'PX', ttlMs);
}

/** The status an autoscaler published for `queue`, or null when none runs (for `ferry queues`). */
export async function readPublishedStatus(redis: Redis, queue: string): Promise<StatusDocument | null> {
  const text = await redis.get(publishedStatusKey(queue));
  return text === null ? null : (JSON.parse(text) as StatusDocument);
}

export async function unpublishStatus(redis: Redis, queue: string): Promise<void> {
  await redis.del(publishedStatusKey(queue));
}
