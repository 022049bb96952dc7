import {
  IMPORT_ID_PATTERN,
  IMPORT_STATUSES,
  ImportRequest,
  NOTIFY_STATUSES,
  OVERWRITE_POLICIES,
} from '@ferry/shared';
import { z } from 'zod';

/** The route schemas: they validate requests, shape responses and are the OpenAPI document. */

export const MAX_BATCH_SIZE = 1000;
export const MAX_PAGE_SIZE = 200;

export const ImportStatus = z.enum(IMPORT_STATUSES);

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('Stable error code; match on this, never on the message'),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .describe('Every error the API answers with');

export const ImportIdParams = z.object({ id: z.string() });

export const IdempotencyKeyHeader = z
  .string()
  .regex(/^[\x20-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters');

export const SubmitHeaders = z.looseObject({
  'idempotency-key': IdempotencyKeyHeader.optional().describe(
    'Makes a retried submit safe: the same key and body within 24 hours answer 200 with the ' +
      'import the first request created; the same key with another body answers 409',
  ),
});

export const ListQuery = z.strictObject({
  status: ImportStatus.optional(),
  cursor: z
    .string()
    .regex(IMPORT_ID_PATTERN, 'must be a nextCursor value from an earlier page')
    .optional()
    .describe('The nextCursor of the previous page'),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, `must be from 1 to ${MAX_PAGE_SIZE}`)
    .max(MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`)
    .default(50),
});

/**
 * A batch item is accepted by the body schema whatever it holds, so one bad item is refused on its
 * own instead of failing the batch; the handler validates each against ImportRequest. The union
 * keeps ImportRequest in the OpenAPI document (the generator drops the empty `unknown` branch).
 * `unknown` first: a union answers with the first branch that accepts, so items are not parsed
 * twice (here and in the handler).
 */
const BatchItem = z.union([z.unknown(), ImportRequest]);

export const BatchBody = z.strictObject({
  imports: z
    .array(BatchItem)
    .min(1, 'must hold at least 1 import')
    .max(MAX_BATCH_SIZE, `must hold at most ${MAX_BATCH_SIZE} imports`),
});

export const Accepted = z.object({ id: z.string(), status: ImportStatus });

export const ImportView = z.object({
  id: z.string(),
  status: ImportStatus,
  source: z.record(z.string(), z.unknown()).describe('The source without its secrets'),
  destination: z.object({ bucket: z.string(), key: z.string() }),
  overwrite: z.enum(OVERWRITE_POLICIES).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  progress: z.object({ bytesDone: z.number(), bytesTotal: z.number().nullable() }),
  attempts: z.number(),
  jobId: z.string().optional().describe('The transfer job whose manifest row this import is'),
  result: z
    .object({
      size: z.number(),
      etag: z.string(),
      checksum: z.string(),
      partCount: z.number(),
      durationMs: z.number(),
      skipped: z
        .literal(true)
        .optional()
        .describe('The overwrite policy left the object the destination held; nothing was written'),
      skipReason: z.enum(['exists', 'identical']).optional(),
      existenceCheck: z
        .enum(['conditional-write', 'head'])
        .optional()
        .describe('Overwrite never: atomic conditional write, or a HEAD (not atomic)'),
    })
    .optional(),
  error: z.object({ code: z.string(), message: z.string(), attempts: z.number() }).optional(),
  notify: z
    .object({
      url: z.string().describe('Scheme, host and path of the notify URL; never its query'),
      status: z
        .enum(NOTIFY_STATUSES)
        .optional()
        .describe('Absent until the import is final; then pending until delivered or given up'),
      attempts: z.number().optional(),
      lastError: z
        .string()
        .optional()
        .describe('Why the last attempt failed: a status code or network error'),
      deliveredAt: z.string().optional(),
    })
    .optional()
    .describe('The completion webhook, when the import has a notify URL (its own or the tenant default)'),
});

export const ImportPage = z.object({ items: z.array(ImportView), nextCursor: z.string().nullable() });

export const BatchResults = z
  .object({
    results: z.array(
      z.union([
        z.object({ index: z.number(), id: z.string(), status: z.literal('queued') }),
        z.object({ index: z.number(), error: ErrorBody.shape.error }),
      ]),
    ),
  })
  .describe('One result per submitted item, in order: either the queued import or why it was refused');

/** Error responses, for the OpenAPI document (the error handler shapes them). */
export function errorResponses<const Codes extends readonly number[]>(
  ...codes: Codes
): Record<Codes[number], typeof ErrorBody> {
  return Object.fromEntries(codes.map((code) => [code, ErrorBody])) as Record<
    Codes[number],
    typeof ErrorBody
  >;
}

export const SECURED = [{ bearerAuth: [] }];
