import {
  IMPORT_JOB_NAME,
  IMPORT_JOB_OPTIONS,
  type ImportJobData,
  type ImportRecord,
  inSpan,
  SpanAttr,
} from '@ferry/shared';
import type { Attributes } from '@opentelemetry/api';
import type { JobsOptions } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import { dependencyCall } from '../dependency-call.ts';
import { loggableError } from '../http/errors.ts';
import type { ImportsContext } from './context.ts';
import { fairPriorities } from './fair-priority.ts';

/**
 * The BullMQ job that runs an import: its id is the import's, so one import never has two. It holds
 * the id alone; the worker reads the request from the record (see ImportJobData).
 */
export function importJob(
  record: ImportRecord,
  priority: number,
): { name: string; data: ImportJobData; opts: JobsOptions } {
  return {
    name: IMPORT_JOB_NAME,
    data: { importId: record.id },
    opts: { ...IMPORT_JOB_OPTIONS, jobId: record.id, priority },
  };
}

/**
 * Writes the records, then queues one job per record. Three Redis round trips whatever the count:
 * one MULTI for every record (which also counts each tenant's backlog, for the jobs' fair
 * priorities), one addBulk for every job, one to mark them queued. Records go first so a worker that
 * picks a job up at once finds its record; if queueing fails the records are removed again, so no
 * record claims work that will never run. A process that dies between the first two leaves records
 * not marked queued, which requeueUnqueued finds.
 */
export function createImports(
  ctx: ImportsContext,
  records: ImportRecord[],
  log: FastifyBaseLogger,
): Promise<void> {
  // The submit span is the root of each import's trace below the request: the jobs' producer span
  // (BullMQ's telemetry) is its child, and the job carries that context to the worker.
  return inSpan(
    'ferry.import.submit',
    () => submitAttributes(records),
    () => writeAndQueue(ctx, records, log),
  );
}

/** Ids are listed up to this many; a batch's count says how many there were. */
const MAX_IDS_ON_SPAN = 100;

function submitAttributes(records: ImportRecord[]): Attributes {
  const first = records[0];
  const sourceTypes = [...new Set(records.map((record) => record.request.source.type))];
  return {
    [SpanAttr.IMPORT_COUNT]: records.length,
    ...(first ? { [SpanAttr.TENANT]: first.tenant } : {}),
    ...(records.length === 1 && first
      ? { [SpanAttr.IMPORT_ID]: first.id }
      : { [SpanAttr.IMPORT_IDS]: records.slice(0, MAX_IDS_ON_SPAN).map((record) => record.id) }),
    [SpanAttr.SOURCE_TYPE]: sourceTypes.length === 1 ? (sourceTypes[0] as string) : sourceTypes.join(','),
  };
}

async function writeAndQueue(
  ctx: ImportsContext,
  records: ImportRecord[],
  log: FastifyBaseLogger,
): Promise<void> {
  // Set once the MULTI is actually sent (a call refused up front because Redis is down sends nothing).
  let written = false;
  try {
    const backlogs = await ctx.call('the import store', () => {
      written = true;
      return ctx.store.createManyCountingBacklog(records);
    });
    // Records written, jobs not yet: a crash here leaves what requeueUnqueued must find.
    ctx.failpoints.hit('submit.after-records');
    const priorities = fairPriorities(
      records.map((record) => record.tenant),
      backlogs,
    );
    await ctx.call('the job queue', () =>
      ctx.queue.addBulk(records.map((record, i) => importJob(record, priorities[i] ?? 0))),
    );
  } catch (error) {
    // Also after a timed-out MULTI: the delete is sent behind it on the same connection, so records
    // that land late are removed too. A timed-out addBulk may also land late: its jobs then find no
    // record (the store's transitions report `current: null`) and must be dropped by the worker.
    if (written) {
      await dependencyCall('the import store', () => ctx.store.deleteMany(records)).catch(
        (cleanup: unknown) => {
          log.error(
            { err: loggableError(cleanup, false), count: records.length },
            'could not remove unqueued records',
          );
        },
      );
    }
    throw error;
  }
  // The imports are accepted now, whatever happens to this write: left undone, requeueUnqueued
  // finds their jobs in place and only marks them.
  await ctx
    .call('the import store', () => ctx.store.markQueued(records.map((record) => record.id)))
    .catch((error: unknown) => {
      log.warn({ err: loggableError(error, false) }, 'could not mark imports queued; requeueing will');
    });
}
