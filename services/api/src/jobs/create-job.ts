import { Readable } from 'node:stream';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import {
  ErrorCode,
  FerryError,
  type JobSpec,
  type ManifestFormat,
  type NotifyTarget,
  newJobId,
  type OverwritePolicy,
  sealNotifyTarget,
} from '@ferry/shared';
import type { FastifyBaseLogger } from 'fastify';
import { dependencyCall } from '../dependency-call.ts';
import { loggableError } from '../http/errors.ts';
import { checkNotifyTarget, effectiveNotifyTarget } from '../notify/notify-check.ts';
import { ingestManifest } from './ingest-manifest.ts';
import { type AcceptedJob, claimJobKey, type JobIdempotency } from './job-idempotency.ts';
import type { JobsContext } from './jobs-context.ts';
import { type HeaderShape, parseHeader } from './manifest-header.ts';
import { MAX_LINE_BYTES, manifestLines } from './manifest-lines.ts';
import { headManifest, readManifest } from './manifest-objects.ts';

export interface JobOptions {
  keyTemplate: string | null;
  bucket: string | null;
  /** The overwrite policy of rows that give none. */
  overwrite: OverwritePolicy | undefined;
  notify: NotifyTarget | undefined;
}

/** Where a job's manifest comes from: streamed in by the request, or an S3 object the API reads. */
export type ManifestInput =
  | { kind: 'stream'; format: ManifestFormat; body: AsyncIterable<Buffer> }
  | { kind: 's3'; format: ManifestFormat; bucket: string; key: string };

/**
 * Checks the options, puts the manifest where expansion can read it again from any offset (a
 * streamed one is copied into JOBS_BUCKET as it is checked row by row; an S3 one is pinned by its
 * ETag and only its header read) and writes the job record: the expanders take it from there.
 * With an Idempotency-Key the key is claimed last before the record (an upload's bytes are part
 * of the request, known only once read): a retry finds the job the first request made, and its
 * own copy of the manifest is deleted.
 */
export async function createJob(
  ctx: JobsContext,
  tenant: string,
  input: ManifestInput,
  options: JobOptions,
  log: FastifyBaseLogger,
  idempotency?: JobIdempotency,
): Promise<AcceptedJob> {
  const notify = effectiveNotifyTarget(options.notify, ctx.notifyDefaults.get(tenant));
  if (options.notify) await checkNotifyTarget(options.notify, ctx.allowPrivateSources, ctx.resolveAll);
  const id = newJobId();
  const shape = {
    format: input.format,
    keyTemplate: options.keyTemplate,
    bucket: options.bucket,
    overwrite: options.overwrite ?? null,
  };
  let manifest: JobSpec['manifest'];
  let columns: string[] | null;
  let urlList: boolean;
  let dataOffset: number;
  let rowsTotal: number | null = null;
  let manifestSha256: string | null = null;

  if (input.kind === 'stream') {
    const key = `jobs/${id}/manifest.${input.format}`;
    const ingested = await ingestManifest(ctx.s3, { bucket: ctx.bucket, key }, input.body, shape);
    manifest = { bucket: ctx.bucket, key, etag: ingested.etag, size: ingested.size, format: input.format };
    ({ columns, urlList, dataOffset } = ingested);
    rowsTotal = ingested.rows;
    manifestSha256 = ingested.sha256;
  } else {
    // Read with the API's own credentials: only from buckets the operator named, never JOBS_BUCKET,
    // which holds every tenant's manifests and reports.
    if (input.bucket === ctx.bucket || !ctx.manifestBuckets.has(input.bucket)) {
      const message =
        input.bucket === ctx.bucket ? 'must not be the jobs bucket' : 'is not one of JOB_MANIFEST_BUCKETS';
      throw new FerryError(ErrorCode.VALIDATION_FAILED, `manifest.s3.bucket: ${message}`, {
        status: 400,
        details: [{ field: 'manifest.s3.bucket', message }],
      });
    }
    const head = await headManifest(ctx.s3, input.bucket, input.key);
    manifest = { bucket: input.bucket, key: input.key, ...head, format: input.format };
    ({ columns, urlList, dataOffset } = await readHeader(ctx, manifest, shape));
  }

  const spec: JobSpec = {
    manifest,
    columns,
    ...(urlList ? { urlList: true as const } : {}),
    dataOffset,
    keyTemplate: options.keyTemplate,
    bucket: options.bucket,
    ...(options.overwrite ? { overwrite: options.overwrite } : {}),
    ...(notify ? { notify: sealNotifyTarget(notify, ctx.secrets) } : {}),
    report: { bucket: ctx.bucket, key: `jobs/${id}/report.csv` },
  };
  if (idempotency) {
    // Unless this request is the key's first, no job will read the copy it made of its manifest.
    const discardCopy = () => (input.kind === 'stream' ? deleteCopy(ctx, manifest, log) : Promise.resolve());
    const earlier = await claimJobKey(ctx, tenant, idempotency, id, manifestSha256).catch(
      async (error: unknown) => {
        await discardCopy();
        throw error;
      },
    );
    if (earlier) {
      await discardCopy();
      return earlier;
    }
  }
  try {
    await ctx.call('the job store', () => ctx.jobs.create(id, tenant, spec, rowsTotal));
  } catch (error) {
    // Free the key so the client's retry creates the job instead of finding nothing.
    if (idempotency) {
      await dependencyCall('the job store', () =>
        ctx.jobs.releaseIdempotencyKey(tenant, idempotency.key),
      ).catch((cleanup: unknown) =>
        log.error({ err: loggableError(cleanup, false) }, 'could not release an idempotency key'),
      );
    }
    throw error;
  }
  return { id, status: 'running', created: true };
}

/** The copy a retried create made of its manifest (best effort: an object left behind is only bytes). */
async function deleteCopy(
  ctx: JobsContext,
  manifest: JobSpec['manifest'],
  log: FastifyBaseLogger,
): Promise<void> {
  try {
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: manifest.bucket, Key: manifest.key }));
  } catch (error) {
    log.warn(
      { err: loggableError(error, false), key: manifest.key },
      "could not delete a retried create's copy of its manifest",
    );
  }
}

/** A CSV/TSV manifest's header, read from the object's first line; NDJSON has none. */
async function readHeader(
  ctx: JobsContext,
  manifest: JobSpec['manifest'],
  shape: HeaderShape,
): Promise<{ columns: string[] | null; urlList: boolean; dataOffset: number }> {
  if (manifest.format === 'ndjson') return { columns: null, urlList: false, dataOffset: 0 };
  for await (const line of manifestLines(readManifest(ctx.s3, manifest, 0, MAX_LINE_BYTES), 0)) {
    const header = parseHeader(line.text, shape);
    if (!header.ok) {
      throw new FerryError(ErrorCode.VALIDATION_FAILED, `manifest: ${header.message}`, {
        status: 400,
        details: [{ field: 'manifest.s3', message: header.message }],
      });
    }
    return { columns: header.columns, urlList: header.urlList, dataOffset: line.endOffset };
  }
  throw new FerryError(ErrorCode.VALIDATION_FAILED, 'manifest: the object is empty', {
    status: 400,
    details: [{ field: 'manifest.s3', message: 'the object is empty' }],
  });
}

/** Inline rows as the NDJSON manifest they are kept as. */
export function inlineRows(rows: readonly unknown[]): AsyncIterable<Buffer> {
  return Readable.from(rows.map((row) => Buffer.from(`${JSON.stringify(row)}\n`)));
}
