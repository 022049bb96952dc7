import { ErrorCode, type ImportResult, inSpan, SpanAttr } from '@ferry/shared';
import { trace } from '@opentelemetry/api';
import {
  permanentError,
  type TransferError,
  toTransferError,
  transientError,
} from '../errors/transfer-error.ts';
import { isUploadGone } from '../sink/destination-error.ts';
import { type ExpectedObject, KEY_EXISTS } from '../sink/s3-sink.ts';
import type { UploadRef } from '../sink/sink-types.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { beginUpload } from './begin-upload.ts';
import type { Checkpoint, FinishedPart } from './checkpoint.ts';
import { crc32CombineAll, formatCrc32 } from './crc32-combine.ts';
import { DigestChecks } from './digest-checks.ts';
import { discardUpload } from './discard-upload.ts';
import { guardWrite, keyTaken, type WriteGuard } from './overwrite-policy.ts';
import {
  choosePartSize,
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  type PartRange,
  partLength,
  planParts,
} from './plan-parts.ts';
import type { TransferContext, TransferOutcome } from './transfer-context.ts';
import { uploadPart } from './upload-part.ts';
import { formatDigest } from './whole-file-digest.ts';
import { withRetries } from './with-retries.ts';

type RangedMetadata = SourceMetadata & { size: number; version: string };

interface OpenUpload extends UploadRef {
  partSize: number;
  /** Parts already in S3 and in the checkpoint, by part number. */
  finished: Map<number, FinishedPart>;
  /** The whole-file digests the bytes must match (the source's, the request's expected ones). */
  checks: DigestChecks;
}

/**
 * The ranged path: a multipart upload whose parts are fetched PART_CONCURRENCY at a time, each
 * checkpointed when it lands, resumed from the checkpoint on a later attempt, completed in order and
 * verified by size; the object's CRC-32 is combined from the parts' without reading it again.
 */
export async function runMultipartTransfer(
  ctx: TransferContext,
  metadata: RangedMetadata,
  startedAt: number,
): Promise<TransferOutcome> {
  if (metadata.size > MAX_OBJECT_SIZE) {
    throw permanentError(
      ErrorCode.DESTINATION_ERROR,
      `source is ${metadata.size} bytes; S3 objects end at 5 TiB`,
    );
  }
  const upload = await openUpload(ctx, metadata);
  const plan = planParts(metadata.size, upload.partSize);
  const { finished } = upload;
  ctx.progress.total = metadata.size;
  ctx.progress.done = [...finished.values()].reduce((sum, part) => sum + part.size, 0);
  const pending = plan.filter((part) => !finished.has(part.partNumber));
  trace.getActiveSpan()?.setAttributes({
    [SpanAttr.BYTES]: metadata.size,
    [SpanAttr.PARTS]: plan.length,
    [SpanAttr.PARTS_RESUMED]: finished.size,
  });
  ctx.logger.debug(
    { uploadId: upload.uploadId, parts: plan.length, resumed: finished.size, partSize: upload.partSize },
    'moving parts',
  );

  const failure = await moveParts(ctx, upload, metadata, pending);
  if (ctx.abort.aborted) return { kind: 'interrupted' };
  if (finished.size < plan.length) {
    if (ctx.stop.aborted) return { kind: 'interrupted' };
    if (failure && isUploadGone(failure)) await uploadGone(ctx);
    throw failure ?? transientError(ErrorCode.INTERNAL, 'parts are missing after the transfer');
  }

  await inSpan('ferry.metadata', { 'ferry.recheck': true }, () => verifySourceUnchanged(ctx, metadata));
  const parts = plan.map((part) => finished.get(part.partNumber) as FinishedPart);
  const crc = wholeObjectCrc32(parts);
  checkStatedChecksum(metadata, crc);
  upload.checks.verify(parts);
  const guard = await guardWrite(ctx, 'complete', startedAt);
  if ('skipped' in guard) {
    await discardUpload(ctx.importId, ctx);
    return { kind: 'completed', result: guard.skipped };
  }
  const expected = { size: metadata.size, crc32: crc, partEtags: parts.map((part) => part.etag) };
  const skipped = await inSpan('ferry.complete', { [SpanAttr.PARTS]: parts.length }, () =>
    complete(ctx, upload, parts, expected, guard, startedAt),
  );
  if (skipped) return { kind: 'completed', result: skipped };
  // The object exists, the record does not say so yet: the next attempt must recognise it.
  ctx.failpoints.hit('upload.after-complete');
  const stored = await inSpan('ferry.verify', { [SpanAttr.BYTES]: metadata.size }, () =>
    ctx.sink.confirmStored(ctx.destination, expected),
  );
  const etag = stored.etag ?? '';
  return {
    kind: 'completed',
    result: {
      size: metadata.size,
      etag,
      // Without every part's CRC-32 (a copy on a server that keeps none) S3's own ETag is the check.
      checksum: crc === null ? `s3-etag:${etag}` : formatCrc32(crc),
      ...(metadata.digest ? { sourceChecksum: formatDigest(metadata.digest) } : {}),
      partCount: parts.length,
      durationMs: ctx.now() - startedAt,
      ...(guard.existenceCheck ? { existenceCheck: guard.existenceCheck } : {}),
    },
  };
}

/** Continues the checkpointed upload when it is for this version of this object, else starts anew. */
async function openUpload(ctx: TransferContext, metadata: RangedMetadata): Promise<OpenUpload> {
  const checks = new DigestChecks(metadata.digest, ctx.expected);
  const existing = await ctx.checkpoints.load(ctx.importId);
  if (existing && resumable(existing, metadata, ctx.destination, checks)) {
    const finished = reusableParts(existing, checks);
    ctx.logger.info(
      { uploadId: existing.uploadId, finishedParts: finished.size },
      'resuming from checkpoint',
    );
    return { ...ctx.destination, uploadId: existing.uploadId, partSize: existing.partSize, finished, checks };
  }
  if (existing) {
    if (ctx.onSourceChange === 'fail' && existing.version !== metadata.version) {
      // The attempt that failed or was handed back read another version: no starting over on this
      // one. The caller aborts the upload.
      throw permanentError(ErrorCode.SOURCE_CHANGED, 'source object changed since the import began');
    }
    ctx.logger.info(
      { uploadId: existing.uploadId },
      'source or destination changed since the checkpoint; starting over',
    );
    await ctx.sink.abortQuietly(existing, ctx.logger);
    await ctx.checkpoints.delete(ctx.importId);
  }
  const partSize = choosePartSize(metadata.size, ctx.partSize, checks.alignment);
  // Once S3 has made the upload, the checkpoint must name it so cleanup can find it.
  const { uploadId } = await beginUpload(ctx, metadata);
  await ctx.checkpoints.begin(ctx.importId, {
    uploadId,
    bucket: ctx.destination.bucket,
    key: ctx.destination.key,
    version: metadata.version,
    size: metadata.size,
    partSize,
  });
  return { ...ctx.destination, uploadId, partSize, finished: new Map(), checks };
}

/**
 * The checkpoint's parts that count as done: those of the planned sizes, and, when digests are
 * checked, only those whose digest states are all known. An MD5 or SHA-256 chain is only as good as
 * its unbroken start: parts after a gap are read again (uploading a part number again replaces it).
 */
function reusableParts(checkpoint: Checkpoint, checks: DigestChecks): Map<number, FinishedPart> {
  const plan = planParts(checkpoint.size, checkpoint.partSize);
  const finished = new Map<number, FinishedPart>();
  for (const planned of plan) {
    const part = checkpoint.parts.get(planned.partNumber);
    const usable = part && partLength(planned) === part.size && checks.covers(part);
    if (usable) finished.set(part.partNumber, part);
    else if (checks.sequential) break;
  }
  return finished;
}

function resumable(
  checkpoint: Checkpoint,
  metadata: RangedMetadata,
  destination: { bucket: string; key: string },
  checks: DigestChecks,
): boolean {
  return (
    checkpoint.partSize % checks.alignment === 0 &&
    checkpoint.version === metadata.version &&
    checkpoint.size === metadata.size &&
    checkpoint.bucket === destination.bucket &&
    checkpoint.key === destination.key &&
    checkpoint.partSize >= MIN_PART_SIZE &&
    checkpoint.partSize <= MAX_PART_SIZE &&
    Math.ceil(checkpoint.size / checkpoint.partSize) <= MAX_PARTS
  );
}

/**
 * Runs PART_CONCURRENCY lanes over the pending parts. A part counts as done only once the
 * checkpoint holds it. The first part that fails for good stops the other lanes; returns that
 * failure (or null).
 */
async function moveParts(
  ctx: TransferContext,
  upload: OpenUpload,
  metadata: RangedMetadata,
  pending: PartRange[],
): Promise<TransferError | null> {
  const failed = new AbortController();
  const signal = AbortSignal.any([ctx.abort, failed.signal]);
  let failure: TransferError | null = null;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (!ctx.stop.aborted && !signal.aborted) {
      const part = pending[next++];
      if (!part) return;
      try {
        await inSpan(
          'ferry.part',
          () => partAttributes(part),
          () => movePartUntilDone(part),
        );
      } catch (error) {
        if (!signal.aborted) {
          failure ??= toTransferError(error);
          // While draining, the other lanes' parts are still worth finishing and checkpointing.
          if (!ctx.stop.aborted) failed.abort(failure);
        }
        return;
      }
    }
  };
  /** One part, tried again on failure, then checkpointed: only then does it count as done. */
  const movePartUntilDone = async (part: PartRange): Promise<void> => {
    const done = await withRetries(() => movePart(ctx, upload, metadata, part, signal), {
      tries: ctx.partTries,
      policy: ctx.partBackoff,
      random: ctx.random,
      signal,
      stop: ctx.stop,
      retryIf: (error) => !isUploadGone(error),
      onRetry: (error, attempt, delayMs) => {
        ctx.meter.partRetried();
        ctx.logger.warn(
          { part: part.partNumber, attempt, delayMs, code: error.code, reason: error.message },
          'part failed; retrying',
        );
      },
    });
    ctx.failpoints.hit('part.after-upload');
    await ctx.checkpoints.recordPart(ctx.importId, done);
    trace.getActiveSpan()?.addEvent('checkpointed');
    upload.finished.set(part.partNumber, done);
  };
  // A chained digest (MD5, SHA-256) needs each part's bytes after the previous part's: one lane, in order.
  const lanes = Math.min(upload.checks.sequential ? 1 : ctx.partConcurrency, pending.length);
  await Promise.all(Array.from({ length: lanes }, lane));
  return failure;
}

function partAttributes(part: PartRange) {
  return { [SpanAttr.PART_NUMBER]: part.partNumber, [SpanAttr.BYTES]: partLength(part) };
}

/** A part streamed through the worker, or copied by S3 itself when the source is an S3 object. */
async function movePart(
  ctx: TransferContext,
  upload: OpenUpload,
  metadata: RangedMetadata,
  part: PartRange,
  signal: AbortSignal,
): Promise<FinishedPart> {
  const copySource = ctx.source.serverSideCopy;
  if (copySource) {
    const copied = await ctx.sink.copyPart(upload, copySource, part, metadata.version, signal);
    trace.getActiveSpan()?.addEvent('copied by S3');
    ctx.progress.done += copied.size;
    ctx.progress.streamed += copied.size;
    ctx.meter.bytesMoved(copied.size);
    return copied;
  }
  const hasher = upload.checks.any
    ? upload.checks.partHasher(upload.finished.get(part.partNumber - 1))
    : null;
  return uploadPart(ctx, upload, metadata, part, signal, hasher);
}

/**
 * The source's own statement of the object's CRC-32, when it made one, must match the one combined
 * from the bytes read: checked before completing, so a mismatch leaves no object behind.
 */
function checkStatedChecksum(metadata: RangedMetadata, crc: number | null): void {
  if (metadata.crc32 === undefined || crc === null || metadata.crc32 === crc) return;
  throw permanentError(
    ErrorCode.CHECKSUM_MISMATCH,
    `the bytes read have CRC-32 ${formatCrc32(crc)} where the source states ${formatCrc32(metadata.crc32)}`,
  );
}

function wholeObjectCrc32(parts: FinishedPart[]): number | null {
  const known = parts.filter((part): part is FinishedPart & { crc32: number } => part.crc32 !== null);
  return known.length === parts.length ? crc32CombineAll(known) : null;
}

/**
 * Asks the source for its version once more before completing. Ranged reads are pinned already
 * (If-Range, If-Match, CopySourceIfMatch), but a server that ignores those would otherwise let an
 * object made of two versions through; one metadata request is cheap insurance.
 */
async function verifySourceUnchanged(ctx: TransferContext, metadata: RangedMetadata): Promise<void> {
  const now = await withRetries(() => ctx.source.metadata(ctx.abort), {
    tries: ctx.partTries,
    policy: ctx.partBackoff,
    random: ctx.random,
    signal: ctx.abort,
  });
  if (now.version !== metadata.version || now.size !== metadata.size) {
    throw permanentError(ErrorCode.SOURCE_CHANGED, 'source object changed during the import');
  }
}

/**
 * Completes the upload; answers the skipped result when a conditional Complete (overwrite `never`)
 * found the key taken by another object, after aborting the upload, or null when it was completed
 * (now, or by an earlier attempt).
 */
async function complete(
  ctx: TransferContext,
  upload: UploadRef,
  parts: FinishedPart[],
  expected: ExpectedObject & { partEtags: string[] },
  guard: WriteGuard,
  startedAt: number,
): Promise<ImportResult | null> {
  try {
    const completed = await ctx.sink.complete(upload, parts, expected, guard.ifNoneMatch);
    if (completed !== KEY_EXISTS) return null;
    // Refused, so this upload made nothing: the object there is another's, or an earlier attempt's.
    await ctx.sink.abortQuietly(upload, ctx.logger);
    return await keyTaken(ctx, startedAt);
  } catch (error) {
    const failure = toTransferError(error);
    if (!isUploadGone(failure)) throw failure;
    const found = await ctx.sink.findCompleted({ ...ctx.destination, ...expected }, ctx.abort);
    if (found === null) return uploadGone(ctx);
    ctx.logger.info(
      { uploadId: upload.uploadId },
      'the upload had been completed already by an earlier attempt',
    );
    return null;
  }
}

/** The checkpoint names an upload S3 no longer has: forget it, so the next attempt starts over. */
async function uploadGone(ctx: TransferContext): Promise<never> {
  await ctx.checkpoints.delete(ctx.importId);
  throw transientError(ErrorCode.DESTINATION_ERROR, 'the multipart upload no longer exists; starting over');
}
