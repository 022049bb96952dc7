import { type ImportRecord, inSpan, SpanAttr } from '@ferry/shared';
import type { Attributes } from '@opentelemetry/api';
import type { FastifyBaseLogger } from 'fastify';
import { dependencyCall } from '../dependency-call.ts';
import { loggableError } from '../http/errors.ts';
import type { ImportsContext } from './context.ts';

/**
 * Writes the records, each lined up for the feeder in the same MULTI (ImportStore.createToFeed): one
 * Redis round trip whatever the count, and from then on the imports are accepted, whatever dies.
 * Their jobs come from the feeder (QueueFeeder) as the window has room: at once while it has, by
 * this call's nudge; later, as workers take jobs, while a backlog fills it.
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
    () => writeAndFeed(ctx, records, log),
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

async function writeAndFeed(
  ctx: ImportsContext,
  records: ImportRecord[],
  log: FastifyBaseLogger,
): Promise<void> {
  // Set once the MULTI is actually sent (a call refused up front because Redis is down sends nothing).
  let written = false;
  try {
    await ctx.call('the import store', () => {
      written = true;
      return ctx.store.createToFeed(records);
    });
  } catch (error) {
    // A timed-out MULTI may still land: the delete is sent behind it on the same connection, so
    // records the client was told were refused are removed too (their unfed entries, naming no
    // record, are dropped by the feeder).
    if (written) {
      await dependencyCall('the import store', () => ctx.store.deleteMany(records)).catch(
        (cleanup: unknown) => {
          log.error(
            { err: loggableError(cleanup, false), count: records.length },
            'could not remove the records of a failed submit',
          );
        },
      );
    }
    throw error;
  }
  // Accepted: a crash from here on leaves the imports to any process's feeder.
  ctx.failpoints.hit('submit.after-records');
  // Inside the submit's span, so the jobs' producer span (BullMQ's telemetry) is its child. Bounded,
  // as BullMQ waits for a lost connection forever, and never a failure of the submit: an import this
  // pass did not reach is fed by the next pass of any process.
  await ctx.call('the job queue', () => ctx.feed.nudge()).catch(() => {});
}
