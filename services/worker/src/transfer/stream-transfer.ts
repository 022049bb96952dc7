import { pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ErrorCode } from '@ferry/shared';
import { permanentError, TransferError } from '../errors/transfer-error.ts';
import { toDestinationError } from '../sink/destination-error.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { toSourceError } from '../sources/source-error.ts';
import { ByteMeter } from './byte-meter.ts';
import { formatCrc32 } from './crc32-combine.ts';
import { abortUploadQuietly } from './discard-upload.ts';
import type { BufferLease } from './memory-budget.ts';
import { sourceMetadataHeaders } from './object-metadata.ts';
import { choosePartSize, MAX_OBJECT_SIZE } from './plan-parts.ts';
import type { TransferContext, TransferOutcome } from './transfer-context.ts';
import { withRetries } from './with-retries.ts';

/** How long a canceled stream may take to wind down by itself before the upload is cut off. */
const ABORT_GRACE_MS = 2000;

/**
 * The fallback for sources without ranges or a known size: one GET streamed through lib-storage's
 * Upload, which cuts it into parts of `partSize` and sends up to `partConcurrency` at a time, so
 * memory stays near (partConcurrency + 1) x partSize whatever the file's size, taken from the
 * worker's memory budget. Nothing to resume from: a retry starts over.
 */
export async function runStreamTransfer(
  ctx: TransferContext,
  metadata: SourceMetadata,
  startedAt: number,
): Promise<TransferOutcome> {
  // Upload holds its parts in memory, one filling and up to queueSize sending: that much of the
  // worker's budget first (before the source connection opens), and no more parts in flight than fit.
  const plannedPartSize = choosePartSize(Math.min(metadata.size ?? 0, MAX_OBJECT_SIZE), ctx.partSize);
  let lease: BufferLease;
  try {
    lease = await ctx.memory.acquire(
      (ctx.partConcurrency + 1) * plannedPartSize,
      AbortSignal.any([ctx.abort, ctx.stop]),
    );
  } catch (error) {
    // Drained or canceled while waiting: nothing was started.
    if (ctx.stop.aborted || ctx.abort.aborted) return { kind: 'interrupted' };
    throw error;
  }
  try {
    return await streamWithin(ctx, metadata, startedAt, lease.bytes);
  } finally {
    lease.release();
  }
}

async function streamWithin(
  ctx: TransferContext,
  metadata: SourceMetadata,
  startedAt: number,
  memoryBytes: number,
): Promise<TransferOutcome> {
  const { body, size: announced } = await withRetries(() => ctx.source.readAll(ctx.abort), {
    tries: ctx.partTries,
    policy: ctx.partBackoff,
    random: ctx.random,
    signal: ctx.abort,
  });
  const expected = announced ?? metadata.size;
  if (expected !== null && expected > MAX_OBJECT_SIZE) {
    body.on('error', () => {}); // undici reports dropping an unread body as an error
    body.destroy();
    throw permanentError(ErrorCode.DESTINATION_ERROR, `source is ${expected} bytes; S3 objects end at 5 TiB`);
  }
  ctx.progress.total = expected;
  ctx.progress.done = 0;
  const meter = new ByteMeter(expected, (count) => {
    ctx.progress.done += count;
  });
  let sourceFailure = null as TransferError | null;
  pipeline(body, meter, (error) => {
    if (error && !ctx.abort.aborted) sourceFailure = toSourceError(error);
  });

  // Unknown size: the preferred part size caps the object at 10,000 parts of it.
  const partSize = choosePartSize(expected ?? 0, ctx.partSize);
  const upload = new Upload({
    client: ctx.s3,
    params: {
      Bucket: ctx.destination.bucket,
      Key: ctx.destination.key,
      Body: meter,
      ChecksumAlgorithm: 'CRC32',
      Metadata: sourceMetadataHeaders(metadata),
    },
    queueSize: Math.max(1, Math.min(ctx.partConcurrency, Math.floor(memoryBytes / partSize) - 1)),
    partSize,
    leavePartsOnError: false,
  });
  let settled = false;
  const onAbort = () => void cutOff(ctx, upload, () => settled);
  ctx.abort.addEventListener('abort', onAbort, { once: true });
  try {
    const output = await upload.done();
    const head = await ctx.s3
      .send(new HeadObjectCommand({ Bucket: ctx.destination.bucket, Key: ctx.destination.key }))
      .catch((error: unknown) => {
        throw toDestinationError(error, 'HeadObject');
      });
    if (head.ContentLength !== meter.bytes) {
      throw permanentError(
        ErrorCode.SIZE_MISMATCH,
        `S3 holds ${head.ContentLength ?? 'no'} bytes where ${meter.bytes} were read from the source`,
      );
    }
    return {
      kind: 'completed',
      result: {
        size: meter.bytes,
        etag: output.ETag ?? head.ETag ?? '',
        checksum: formatCrc32(meter.crc),
        partCount: upload.uploadId ? Math.max(1, Math.ceil(meter.bytes / partSize)) : 1,
        durationMs: ctx.now() - startedAt,
      },
    };
  } catch (error) {
    ctx.progress.done = 0;
    if (ctx.abort.aborted) return { kind: 'interrupted' };
    if (error instanceof TransferError) throw error;
    if (sourceFailure) throw sourceFailure;
    // The source stream failed (reset, timeout) and Upload passed on its raw error.
    if (meter.errored) throw toSourceError(meter.errored);
    throw toDestinationError(error, 'streaming upload');
  } finally {
    settled = true;
    ctx.abort.removeEventListener('abort', onAbort);
    body.destroy();
    meter.destroy();
  }
}

/**
 * The aborted source stream makes Upload fail its readers, wait for parts in flight and abort the
 * multipart upload by itself. Should that take too long, stop it outright and abort the upload here.
 */
async function cutOff(ctx: TransferContext, upload: Upload, settled: () => boolean): Promise<void> {
  await sleep(ABORT_GRACE_MS, undefined, { ref: false });
  if (settled()) return;
  await upload.abort();
  if (upload.uploadId) {
    await abortUploadQuietly(
      ctx.s3,
      { bucket: ctx.destination.bucket, key: ctx.destination.key, uploadId: upload.uploadId },
      ctx.logger,
    );
  }
}
