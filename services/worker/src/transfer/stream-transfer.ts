import { pipeline, type Readable } from 'node:stream';
import { ErrorCode, inSpan, SpanAttr } from '@ferry/shared';
import type { BufferLease } from '../bytes/memory-budget.ts';
import { heldPartStream } from '../bytes/part-stream.ts';
import { permanentError, TransferError, toTransferError } from '../errors/transfer-error.ts';
import { KEY_EXISTS } from '../sink/s3-sink.ts';
import type { StoredPart, UploadRef } from '../sink/sink-types.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { toSourceError } from '../sources/source-error.ts';
import { beginUpload } from './begin-upload.ts';
import { ByteMeter } from './byte-meter.ts';
import { formatCrc32 } from './crc32-combine.ts';
import { cutParts } from './cut-parts.ts';
import { DigestChecks, expectedSizeMismatch, type PartDigestHasher } from './digest-checks.ts';
import { guardWrite, keyTaken } from './overwrite-policy.ts';
import { choosePartSize, MAX_OBJECT_SIZE } from './plan-parts.ts';
import { putEmptyObject } from './put-empty-object.ts';
import type { TransferContext, TransferOutcome } from './transfer-context.ts';
import { formatDigest } from './whole-file-digest.ts';
import { withRetries } from './with-retries.ts';

/**
 * The fallback for sources without ranges or a known size: one GET, cut into parts of `partSize` as
 * it streams, up to `partConcurrency` parts uploading while the next one fills. A part is held in
 * memory until S3 has it, so memory stays near (partConcurrency + 1) x partSize whatever the file's
 * size, taken from the worker's memory budget; a part S3 refused is sent again from memory, checked
 * as every part is (the sink's mode). Nothing to resume from: a failed attempt starts over.
 */
export async function runStreamTransfer(
  ctx: TransferContext,
  metadata: SourceMetadata,
  startedAt: number,
): Promise<TransferOutcome> {
  // One part filling and up to queueSize sending: that much of the worker's budget first (before
  // the source connection opens), and no more parts in flight than fit.
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
  const refused =
    expected !== null && expected > MAX_OBJECT_SIZE
      ? permanentError(ErrorCode.DESTINATION_ERROR, `source is ${expected} bytes; S3 objects end at 5 TiB`)
      : expectedSizeMismatch(ctx.expected, expected);
  if (refused) {
    body.on('error', () => {}); // undici reports dropping an unread body as an error
    body.destroy();
    throw refused;
  }
  ctx.progress.total = expected;
  ctx.progress.done = 0;
  const meter = new ByteMeter(expected, (count) => {
    ctx.progress.done += count;
    ctx.progress.streamed += count;
    ctx.meter.bytesMoved(count);
  });
  let sourceFailure = null as TransferError | null;
  pipeline(body, meter, (error) => {
    if (error && !ctx.abort.aborted) sourceFailure = toSourceError(error);
  });
  const stopReading = () => body.destroy();
  ctx.abort.addEventListener('abort', stopReading, { once: true });

  // Unknown size: the preferred part size caps the object at 10,000 parts of it.
  const partSize = choosePartSize(expected ?? 0, ctx.partSize);
  const queueSize = Math.max(1, Math.min(ctx.partConcurrency, Math.floor(memoryBytes / partSize) - 1));
  // The upload is made by the first full part; until it is completed, a failure must abort it.
  const open: { upload: UploadRef | null } = { upload: null };
  // One pass over the bytes in order: every digest, sequential or not, hashes as one part.
  const checks = new DigestChecks(metadata.digest, ctx.expected);
  const hasher = checks.partHasher(undefined);
  try {
    const parts = await uploadParts(ctx, metadata, meter, partSize, queueSize, hasher, (created) => {
      open.upload = created;
    });
    if (!open.upload) return await putEmptyObject(ctx, metadata, startedAt);
    const sizeMismatch = expectedSizeMismatch(ctx.expected, meter.bytes);
    if (sizeMismatch) throw sizeMismatch;
    checks.verify([hasher.finish()]);
    const guard = await guardWrite(ctx, 'complete', startedAt);
    if ('skipped' in guard) {
      await ctx.sink.abortQuietly(open.upload, ctx.logger);
      open.upload = null;
      return { kind: 'completed', result: guard.skipped };
    }
    const expectedObject = { size: meter.bytes, crc32: meter.crc, partEtags: parts.map((part) => part.etag) };
    const completing = open.upload;
    const completed = await inSpan('ferry.complete', { [SpanAttr.PARTS]: parts.length }, () =>
      ctx.sink.complete(completing, parts, expectedObject, guard.ifNoneMatch),
    );
    open.upload = null;
    if (completed === KEY_EXISTS) {
      // Refused, so this upload made nothing; the object there is another's, or an earlier attempt's.
      await ctx.sink.abortQuietly(completing, ctx.logger);
      const skipped = await keyTaken(ctx, startedAt);
      if (skipped) return { kind: 'completed', result: skipped };
    }
    const stored = await inSpan('ferry.verify', { [SpanAttr.BYTES]: meter.bytes }, () =>
      ctx.sink.confirmStored(ctx.destination, expectedObject),
    );
    const etag = stored.etag ?? '';
    return {
      kind: 'completed',
      result: {
        size: meter.bytes,
        etag,
        checksum: formatCrc32(meter.crc),
        ...(metadata.digest ? { sourceChecksum: formatDigest(metadata.digest) } : {}),
        partCount: parts.length,
        durationMs: ctx.now() - startedAt,
        ...(guard.existenceCheck ? { existenceCheck: guard.existenceCheck } : {}),
      },
    };
  } catch (error) {
    ctx.progress.done = 0;
    if (open.upload) await ctx.sink.abortQuietly(open.upload, ctx.logger);
    if (ctx.abort.aborted) return { kind: 'interrupted' };
    if (sourceFailure) throw sourceFailure;
    if (error instanceof TransferError) throw error;
    // The source stream failed (reset, timeout) and the read passed on its raw error.
    if (meter.errored) throw toSourceError(meter.errored);
    throw toTransferError(error);
  } finally {
    ctx.abort.removeEventListener('abort', stopReading);
    body.destroy();
    meter.destroy();
  }
}

const noop = (): void => {};

/**
 * Cuts the stream into parts and uploads them, `queueSize` at a time; the multipart upload is made
 * when the first part is full (an empty stream makes none). Answers the parts in order.
 */
async function uploadParts(
  ctx: TransferContext,
  metadata: SourceMetadata,
  stream: Readable,
  partSize: number,
  queueSize: number,
  hasher: PartDigestHasher,
  onCreated: (upload: UploadRef) => void,
): Promise<StoredPart[]> {
  const stored: StoredPart[] = [];
  const inFlight = new Set<Promise<void>>();
  const failed = new AbortController();
  const signal = AbortSignal.any([ctx.abort, failed.signal]);
  let failure: unknown = null;
  let upload: UploadRef | null = null;
  let partNumber = 0;
  for await (const chunks of cutParts(stream, partSize)) {
    if (failure) break;
    if (!upload) {
      upload = await beginUpload(ctx, metadata);
      onCreated(upload);
    }
    const number = ++partNumber;
    for (const chunk of chunks) hasher.update(chunk);
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    // The chunks are the stream's own: nothing to give back, and they can be sent again.
    const pieces = chunks.map((chunk) => ({ chunk, release: noop }));
    const target = upload;
    const send = () =>
      withRetries(
        () => ctx.sink.uploadPart(target, number, { stream: heldPartStream(pieces), length }, signal),
        {
          tries: ctx.partTries,
          policy: ctx.partBackoff,
          random: ctx.random,
          signal,
          onRetry: () => ctx.meter.partRetried(),
        },
      );
    const task = inSpan(
      'ferry.part',
      { [SpanAttr.PART_NUMBER]: number, [SpanAttr.BYTES]: length },
      send,
    ).then(
      (part) => {
        stored[number - 1] = part;
      },
      (error: unknown) => {
        failure ??= error;
        failed.abort(error);
      },
    );
    const tracked = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= queueSize) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return stored;
}
