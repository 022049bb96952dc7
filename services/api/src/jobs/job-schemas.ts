import {
  BucketName,
  JOB_ID_PATTERN,
  JOB_STATUSES,
  MANIFEST_FORMATS,
  NOTIFY_STATUSES,
  NotifyTarget,
  ObjectKey,
  OverwritePolicy,
} from '@ferry/shared';
import { z } from 'zod';
import { IdempotencyKeyHeader, MAX_PAGE_SIZE } from '../imports/schemas.ts';
import { keyTemplateProblem } from './key-template.ts';

/** Rows a JSON body may carry inline; larger manifests are uploaded or named in S3. */
export const MAX_INLINE_ROWS = 1000;

/** Upload Content-Types and the manifest format each means. */
export const UPLOAD_FORMATS = {
  'application/x-ndjson': 'ndjson',
  'text/csv': 'csv',
  'text/tab-separated-values': 'tsv',
} as const;

const KeyTemplate = z
  .string()
  .max(1024, 'must be at most 1024 characters')
  .superRefine((template, ctx) => {
    const problem = keyTemplateProblem(template);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('Makes the key of rows that name none: {basename}, {path} (the source path) and {row}');

const JobOverwrite = OverwritePolicy.describe(
  "The overwrite policy of rows that give none (a row's own overwrite field or column wins); omitted: always",
);

const JobManifest = z
  .strictObject({
    rows: z
      .array(z.unknown())
      .min(1, 'must hold at least 1 row')
      .max(MAX_INLINE_ROWS, `must hold at most ${MAX_INLINE_ROWS} rows`)
      .optional()
      .describe('Inline rows, each { source, destination } as an import request has them'),
    s3: z
      .strictObject({ bucket: BucketName, key: ObjectKey })
      .optional()
      .describe('A manifest object the API reads (with its own credentials)'),
    format: z.enum(MANIFEST_FORMATS).optional().describe('The format of the S3 manifest'),
  })
  .superRefine((manifest, ctx) => {
    if ((manifest.rows === undefined) === (manifest.s3 === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'must hold either rows or s3' });
      return;
    }
    if (manifest.s3 && !manifest.format) {
      ctx.addIssue({ code: 'custom', path: ['format'], message: 'is required with s3' });
    }
    if (manifest.rows && manifest.format) {
      ctx.addIssue({ code: 'custom', path: ['format'], message: 'applies to s3 manifests only' });
    }
  });

export const JobRequest = z.strictObject({
  manifest: JobManifest,
  keyTemplate: KeyTemplate.optional(),
  bucket: BucketName.optional().describe('The bucket of rows that name none'),
  overwrite: JobOverwrite.optional(),
  notify: NotifyTarget.optional().describe('Where the job.completed event goes'),
});
export type JobRequest = z.infer<typeof JobRequest>;

/** An uploaded manifest's options, which a JSON body would carry. */
export const UploadQuery = z.strictObject({
  keyTemplate: KeyTemplate.optional(),
  bucket: BucketName.optional(),
  overwrite: JobOverwrite.optional(),
  notifyUrl: NotifyTarget.shape.url.optional().describe('Where the job.completed event goes'),
});

export const JobHeaders = z.looseObject({
  'idempotency-key': IdempotencyKeyHeader.optional().describe(
    'Makes a retried create safe: the same key and request (an upload: its options and bytes) within ' +
      '24 hours answer 200 with the job the first request created, never a second job; the same key ' +
      'with another request answers 409',
  ),
});

export const JobIdParams = z.object({ id: z.string() });

export const JobListQuery = z.strictObject({
  cursor: z
    .string()
    .regex(JOB_ID_PATTERN, 'must be a nextCursor value from an earlier page')
    .optional()
    .describe('The nextCursor of the previous page'),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, `must be from 1 to ${MAX_PAGE_SIZE}`)
    .max(MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`)
    .default(50),
});

export const JobStatus = z.enum(JOB_STATUSES);

export const JobAccepted = z.object({ id: z.string(), status: JobStatus });

const Counts = z.object({ done: z.number(), failed: z.number(), skipped: z.number() });

export const JobView = z.object({
  id: z.string(),
  status: JobStatus,
  manifest: z.object({
    bucket: z.string(),
    key: z.string(),
    format: z.enum(MANIFEST_FORMATS),
    size: z.number(),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
  progress: z.object({
    rowsExpanded: z.number().describe('Rows made into imports (or refused) so far'),
    rowsTotal: z.number().nullable().describe("The manifest's rows, once all were read"),
    files: Counts.describe(
      'Rows by outcome: done, failed (incl. refused rows), skipped (canceled, or left as it was by the overwrite policy)',
    ),
    bytes: Counts.describe('Bytes of the rows by outcome, where their size was known'),
  }),
  report: z
    .object({ bucket: z.string(), key: z.string() })
    .optional()
    .describe('The per-row CSV report, once written'),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  notify: z
    .object({
      url: z.string(),
      status: z.enum(NOTIFY_STATUSES).optional(),
      attempts: z.number().optional(),
      lastError: z.string().optional(),
      deliveredAt: z.string().optional(),
    })
    .optional(),
});

export const JobPage = z.object({ items: z.array(JobView), nextCursor: z.string().nullable() });
