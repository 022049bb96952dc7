import type { ImportRecord } from '@ferry/shared';
import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../http/errors.ts';
import type { ImportsContext } from './context.ts';
import { importJob } from './create-imports.ts';
import { fairPriorities } from './fair-priority.ts';

/** Imports looked at per pass; a larger pile is worked through one pass at a time. */
const PASS_SIZE = 500;

/**
 * Queues the job of every import that was written but, `olderThanMs` later, still not marked
 * queued: an API process died (SIGKILL, OOM, a reclaimed host) between writing the records and
 * queueing their jobs, and without this the records would say "queued" forever with nothing to run
 * them. Imports whose job is there after all, or which are no longer queued (canceled, removed),
 * are only marked. Safe in every API process at once: the job id is the import id, and BullMQ adds
 * nothing for an id it already holds. Answers the imports it queued.
 */
export async function requeueUnqueued(
  ctx: Pick<ImportsContext, 'store' | 'queue'>,
  olderThanMs: number,
  now: () => number = Date.now,
): Promise<ImportRecord[]> {
  const ids = await ctx.store.unqueuedBefore(now() - olderThanMs, PASS_SIZE);
  if (ids.length === 0) return [];
  const looked = await Promise.all(
    ids.map(async (id) => {
      // The job first: a record read after it can only have moved on, never back to queued.
      const job = await ctx.queue.getJob(id);
      return job ? null : ctx.store.get(id);
    }),
  );
  const orphans = looked.filter((record): record is ImportRecord => record?.status === 'queued');
  if (orphans.length > 0) {
    const tenants = orphans.map((record) => record.tenant);
    // Ranked as if submitted now, behind the rest of the tenant's backlog (which counts them too).
    const backlogs = await ctx.store.backlogs([...new Set(tenants)]);
    for (const tenant of tenants) backlogs.set(tenant, Math.max(0, (backlogs.get(tenant) ?? 1) - 1));
    const priorities = fairPriorities(tenants, backlogs);
    await ctx.queue.addBulk(orphans.map((record, i) => importJob(record, priorities[i] ?? 0)));
  }
  await ctx.store.markQueued(ids);
  return orphans;
}

/**
 * Runs requeueUnqueued every half `olderThanMs` (at least every second) until the returned stop is
 * called, telling `onRequeued` how many each pass queued. A pass that fails (Redis away) is logged
 * and tried again at the next.
 */
export function startRequeueing(
  ctx: Pick<ImportsContext, 'store' | 'queue'>,
  olderThanMs: number,
  log: FastifyBaseLogger,
  onRequeued: (count: number) => void = () => {},
): () => Promise<void> {
  let pass: Promise<void> | null = null;
  const timer = setInterval(
    () => {
      pass ??= requeueUnqueued(ctx, olderThanMs)
        .then((requeued) => {
          if (requeued.length === 0) return;
          onRequeued(requeued.length);
          log.warn(
            { count: requeued.length, importIds: requeued.map((record) => record.id) },
            'queued the jobs of imports whose submit did not finish queueing them',
          );
        })
        .catch((error: unknown) => {
          log.warn({ err: loggableError(error, false) }, 'could not requeue unqueued imports');
        })
        .finally(() => {
          pass = null;
        });
    },
    Math.max(1000, olderThanMs / 2),
  );
  timer.unref();
  return async () => {
    clearInterval(timer);
    await pass;
  };
}
