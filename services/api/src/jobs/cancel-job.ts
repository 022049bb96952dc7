import { ErrorCode, FerryError, isFerryError, JOB_ID_PATTERN, type JobRecord } from '@ferry/shared';
import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../http/errors.ts';
import { cancelImport } from '../imports/cancel-import.ts';
import type { JobsContext } from './jobs-context.ts';

/** Open imports canceled at once; a job's open set is at most its window. */
const CANCEL_CONCURRENCY = 16;

export function jobNotFound(): FerryError {
  return new FerryError(ErrorCode.NOT_FOUND, 'no such job', { status: 404 });
}

/** The tenant's own job, or NOT_FOUND (unknown, malformed and other tenants' ids answer alike). */
export async function findOwnJob(ctx: JobsContext, tenant: string, id: string): Promise<JobRecord> {
  const job = JOB_ID_PATTERN.test(id) ? await ctx.call('the job store', () => ctx.jobs.get(id)) : null;
  if (!job || job.tenant !== tenant) throw jobNotFound();
  return job;
}

/**
 * Stops a job: it expands no more rows (status `canceling`), and its open imports are canceled as
 * one cancel of each would. The expander repeats the imports' cancels until none is open (so a
 * crash mid-way loses nothing), then writes the report and makes the job `canceled`.
 */
export async function cancelJob(
  ctx: JobsContext,
  tenant: string,
  id: string,
  log: FastifyBaseLogger,
): Promise<{ httpStatus: 200 | 202 }> {
  const job = await findOwnJob(ctx, tenant, id);
  if (job.status === 'canceling' || job.status === 'canceled') return { httpStatus: 200 };
  const outcome = await ctx.call('the job store', () => ctx.jobs.cancel(id));
  if (!outcome.ok) {
    if (outcome.current === null) throw jobNotFound();
    if (outcome.current === 'canceling' || outcome.current === 'canceled') return { httpStatus: 200 };
    throw new FerryError(ErrorCode.JOB_FINISHED, `job ${id} has already ${outcome.current}`, { status: 409 });
  }
  await cancelOpenImports(ctx, job, log);
  return { httpStatus: 202 };
}

/** Cancels each import of the job that is not final yet; ones that finish meanwhile are left be. */
export async function cancelOpenImports(
  ctx: JobsContext,
  job: JobRecord,
  log: FastifyBaseLogger,
): Promise<void> {
  const open = await ctx.call('the job store', () => ctx.jobs.openImports(job.id));
  for (let i = 0; i < open.length; i += CANCEL_CONCURRENCY) {
    await Promise.all(
      open.slice(i, i + CANCEL_CONCURRENCY).map((importId) =>
        cancelImport(ctx, job.tenant, importId, log).catch((error: unknown) => {
          // Already final: the import's own transition takes it off the open set.
          if (isFerryError(error) && error.status === 409) return;
          log.warn({ err: loggableError(error, false), importId }, 'could not cancel an import of a job');
        }),
      ),
    );
  }
}
