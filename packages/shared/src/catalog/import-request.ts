import { z } from 'zod';
import { Destination } from './destination.ts';
import { NotifyTarget } from './notify-target.ts';
import { OverwritePolicy } from './overwrite-policy.ts';
import { Source } from './sources.ts';
import { StoredImportRequest } from './stored-import-request.ts';

export const ImportRequest = z.strictObject({
  source: Source,
  destination: Destination,
  /** Omitted: the tenant's default (FERRY_NOTIFY_URLS), if it has one. */
  notify: NotifyTarget.optional(),
  /** Omitted: `always`, as before overwrite policies existed. */
  overwrite: OverwritePolicy.optional(),
});
export type ImportRequest = z.infer<typeof ImportRequest>;

/**
 * What a queued BullMQ job carries: the import's id (also the job's), nothing more. The request
 * lives in the import's record, sealed, and the worker reads it from there; a job holding a second
 * copy doubled every queued import's share of Redis.
 *
 * Not strict at the top: a job a newer worker wrote fields into (as `lastAttempt` was added) must
 * still run on an older one during a rolling deploy; unknown fields are dropped, not refused.
 */
export const ImportJobData = z.object({
  importId: z.string(),
  /**
   * Jobs queued by an API before the job held the id alone also carry the tenant and the sealed
   * request (the record's own copy): a worker runs them from that copy, so they need no record read.
   */
  tenant: z.string().optional(),
  request: StoredImportRequest.optional(),
  /**
   * The span of the last attempt that ran this job, written by the worker as an attempt starts, so
   * the next attempt (a retry, or a resume after that worker died) links to it. Only while tracing.
   */
  lastAttempt: z.strictObject({ traceId: z.string(), spanId: z.string() }).optional(),
});
export type ImportJobData = z.infer<typeof ImportJobData>;
