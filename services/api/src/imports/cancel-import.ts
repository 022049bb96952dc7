import { ErrorCode, FerryError, type ImportStatus } from '@ferry/shared';
import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../http/errors.ts';
import type { ImportsContext } from './context.ts';
import { findOwnImport, importNotFound } from './find-own-import.ts';

export interface CancelOutcome {
  /** 202 when this request canceled the import, 200 when it already was canceled. */
  httpStatus: 200 | 202;
  id: string;
}

function finished(id: string, status: ImportStatus): FerryError {
  return new FerryError(ErrorCode.IMPORT_FINISHED, `import ${id} has already ${status}`, { status: 409 });
}

/**
 * Cancels an import. The record's status flips first (atomically, so a worker finishing at the same
 * moment cannot overwrite it); then a queued job is removed, and a running one (or a queued one a
 * worker locked in between) is told to stop over the cancel channel, which workers subscribe to.
 * An import still waiting unfed has no job to remove: once canceled it is no longer queued, so the
 * feeder drops its place in line without one; the announcement that follows reaches no one. A job
 * a feeder added just before the cancel is skipped by the worker that takes it (not runnable).
 */
export async function cancelImport(
  ctx: ImportsContext,
  tenant: string,
  id: string,
  log: FastifyBaseLogger,
): Promise<CancelOutcome> {
  const record = await findOwnImport(ctx, tenant, id);
  if (record.status === 'completed' || record.status === 'failed') throw finished(id, record.status);
  if (record.status === 'canceled') {
    // Announce again: if the first cancel's publish failed, the client's retry still reaches workers.
    await ctx
      .call('the cancel channel', () => announceCancel(ctx, id))
      .catch((error: unknown) => {
        log.warn({ err: loggableError(error, false) }, 'could not re-announce a cancel');
      });
    return { httpStatus: 200, id };
  }

  const outcome = await ctx.call('the import store', () => ctx.store.markCanceled(id));
  if (!outcome.ok) {
    if (outcome.current === null) throw importNotFound();
    if (outcome.current === 'canceled') return { httpStatus: 200, id };
    throw finished(id, outcome.current);
  }

  if (outcome.previous === 'queued' && (await removeQueuedJob(ctx, id, log))) return { httpStatus: 202, id };
  await ctx.call('the cancel channel', () => announceCancel(ctx, id));
  return { httpStatus: 202, id };
}

/** True when the job is gone; false when a worker holds it (or removal failed) and must be told. */
async function removeQueuedJob(ctx: ImportsContext, id: string, log: FastifyBaseLogger): Promise<boolean> {
  try {
    return (await ctx.call('the job queue', () => ctx.queue.remove(id))) === 1;
  } catch (error) {
    log.warn({ err: loggableError(error, false) }, 'could not remove a canceled job; announcing instead');
    return false;
  }
}

async function announceCancel(ctx: ImportsContext, id: string): Promise<void> {
  await ctx.redis.publish(ctx.store.keys.cancelChannel(), id);
}
