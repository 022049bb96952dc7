import type { Redis } from 'ioredis';
import { importIdTime } from '../ids.ts';
import type { StoreKeys } from '../store/keys.ts';
import type { TenantBacklog } from './fair-shares.ts';
import { DROP_SEEN_SCRIPT } from './feed-scripts.ts';

/** An entry at the head of a tenant's unfed list; `live`: its import is still queued and so needs a job. */
export interface UnfedEntry {
  id: string;
  live: boolean;
}

type UnfedRedis = Redis & {
  ferryDropSeen(...args: string[]): Promise<number>;
};

/**
 * The imports that wait for a BullMQ job, as the feeder and the autoscaler read them: one list per
 * tenant (StoreKeys.tenantUnfed), and the set of tenants that have one.
 */
export class UnfedImports {
  readonly #redis: UnfedRedis;
  readonly #keys: StoreKeys;

  constructor(redis: Redis, keys: StoreKeys) {
    if (!('ferryDropSeen' in redis)) {
      redis.defineCommand('ferryDropSeen', { numberOfKeys: 1, lua: DROP_SEEN_SCRIPT });
    }
    this.#redis = redis as UnfedRedis;
    this.#keys = keys;
  }

  /** Each tenant with unfed entries: how many, its oldest, and how many of its imports BullMQ holds. */
  async backlogs(): Promise<TenantBacklog[]> {
    const tenants = await this.#redis.smembers(this.#keys.unfedTenants());
    if (tenants.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const tenant of tenants) {
      pipeline.llen(this.#keys.tenantUnfed(tenant));
      pipeline.lindex(this.#keys.tenantUnfed(tenant), 0);
      pipeline.zcard(this.#keys.tenantStatus(tenant, 'queued'));
      pipeline.zcard(this.#keys.tenantStatus(tenant, 'running'));
    }
    const replies = replyValues((await pipeline.exec()) ?? []);
    return tenants.map((tenant, i) => {
      const [unfed, oldest, queued, running] = replies.slice(4 * i, 4 * i + 4);
      // Queued counts the unfed too; an entry whose import was canceled unfed counts in neither.
      const fed = Math.max(0, Number(queued) + Number(running) - Number(unfed));
      return { tenant, fed, unfed: Number(unfed), oldest: String(oldest ?? '') };
    });
  }

  /** Up to `count` entries from the head of each tenant's list, each with whether it still needs a job. */
  async heads(counts: ReadonlyMap<string, number>): Promise<Map<string, UnfedEntry[]>> {
    const tenants = [...counts.keys()];
    const lists = this.#redis.pipeline();
    for (const tenant of tenants)
      lists.lrange(this.#keys.tenantUnfed(tenant), 0, (counts.get(tenant) ?? 0) - 1);
    const ids = replyValues((await lists.exec()) ?? []) as string[][];
    const statuses = this.#redis.pipeline();
    for (const id of ids.flat()) statuses.hget(this.#keys.record(id), 'status');
    const status = replyValues((await statuses.exec()) ?? []);
    let next = 0;
    return new Map(
      tenants.map((tenant, i) => [
        tenant,
        (ids[i] ?? []).map((id) => ({ id, live: status[next++] === 'queued' })),
      ]),
    );
  }

  /** Takes the entries each tenant's list starts with off it (see DROP_SEEN_SCRIPT). */
  async dropSeen(seen: ReadonlyMap<string, readonly string[]>): Promise<number> {
    const args = [this.#keys.unfedTenants(), this.#keys.prefix];
    for (const [tenant, ids] of seen) args.push(tenant, String(ids.length), ...ids);
    return args.length > 2 ? this.#redis.ferryDropSeen(...args) : 0;
  }

  /**
   * Imports waiting for a job, and the creation time (ms) of the oldest; null when none waits. Counts
   * an entry whose import was canceled before it was fed until the feeder drops it.
   */
  async waiting(): Promise<{ count: number; oldestMs: number | null }> {
    const backlogs = await this.backlogs();
    const count = backlogs.reduce((sum, backlog) => sum + backlog.unfed, 0);
    const oldest = backlogs.map((backlog) => backlog.oldest).filter((id) => id !== '');
    return { count, oldestMs: oldest.length > 0 ? importIdTime(oldest.sort()[0] ?? '') : null };
  }
}

function replyValues(replies: Array<[Error | null, unknown]>): unknown[] {
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
