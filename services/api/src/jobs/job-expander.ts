import { randomUUID } from 'node:crypto';
import { ErrorCode, isFerryError, type JobRecord } from '@ferry/shared';
import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../http/errors.ts';
import { cancelOpenImports } from './cancel-job.ts';
import { expandWindow } from './expand-window.ts';
import { writeJobReport } from './job-report.ts';
import type { JobsContext } from './jobs-context.ts';

/** Jobs looked at per pass. */
const JOBS_PER_PASS = 100;
/** Windows one job gets per pass before the next job's turn. */
const WINDOWS_PER_TURN = 8;
/**
 * How long a lease holds unless renewed: renewed before each window's writes and each report batch.
 * Also how long a job waits after its expander died holding it.
 */
const LEASE_MS = 15_000;

/**
 * Runs in every API process: every `pollMs` it looks at the active jobs, and for each whose lease
 * it gets (one expander per job at a time, several processes cooperating) it expands windows while
 * the job's open imports are below JOB_WINDOW, stops the open imports of a canceling job, and once
 * every row is final writes the report and ends the job. The job record and its cursor are the only
 * state, so any process resumes after another dies, at the window it died in.
 */
export function startJobExpander(
  ctx: JobsContext,
  pollMs: number,
  log: FastifyBaseLogger,
): () => Promise<void> {
  const owner = randomUUID();
  let pass: Promise<void> | null = null;
  const leaseOf = (id: string) => () => ctx.jobs.renewLease(id, owner, LEASE_MS);

  const workOn = async (job: JobRecord): Promise<void> => {
    if (job.status === 'canceling') {
      await cancelOpenImports(ctx, job, log);
      if ((await ctx.jobs.openCount(job.id)) === 0) await finish(job);
      return;
    }
    let current: JobRecord | null = job;
    for (let turn = 0; current?.status === 'running' && turn < WINDOWS_PER_TURN; turn++) {
      const open = await ctx.call('the job store', () => ctx.jobs.openCount(job.id));
      if (current.expansionDone) {
        if (open === 0) await finish(current);
        return;
      }
      // Refilled a quarter window at a time at least: each window costs a manifest read.
      const room = ctx.window - open;
      if (room <= 0 || room < Math.ceil(ctx.window / 4)) return;
      if (!(await expandWindow(ctx, current, room, log, leaseOf(job.id)))) return;
      current = await ctx.call('the job store', () => ctx.jobs.get(job.id));
    }
  };

  const finish = async (job: JobRecord): Promise<void> => {
    // Read again: the counters the imports' last transitions moved are in it.
    const latest = await ctx.jobs.get(job.id);
    if (!latest || (latest.status !== 'running' && latest.status !== 'canceling')) return;
    const totals = await writeJobReport(ctx, latest, leaseOf(job.id));
    const outcome = await ctx.jobs.finish(latest, totals.unexpanded, totals.rows);
    if (outcome.ok) log.info({ jobId: job.id, rows: totals.rows }, 'job finished; report written');
  };

  const runPass = async (): Promise<void> => {
    const ids = await ctx.call('the job store', () => ctx.jobs.active(JOBS_PER_PASS));
    for (const id of ids) {
      if (!(await ctx.jobs.tryLease(id, owner, LEASE_MS))) continue;
      try {
        const job = await ctx.jobs.get(id);
        if (job) await workOn(job);
      } catch (error) {
        if (isFerryError(error) && error.code === ErrorCode.MANIFEST_UNREADABLE) {
          const job = await ctx.jobs.get(id);
          if (job) await ctx.jobs.fail(job, { code: error.code, message: error.message });
          log.warn(
            { jobId: id, err: loggableError(error, false) },
            'job failed: its manifest cannot be read',
          );
        } else {
          log.warn({ jobId: id, err: loggableError(error, false) }, 'job expansion failed; trying again');
        }
      } finally {
        await ctx.jobs.releaseLease(id, owner).catch(() => {});
      }
    }
  };

  const timer = setInterval(() => {
    pass ??= runPass()
      .catch((error: unknown) => {
        log.warn({ err: loggableError(error, false) }, 'could not look for jobs to expand');
      })
      .finally(() => {
        pass = null;
      });
  }, pollMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await pass;
  };
}
