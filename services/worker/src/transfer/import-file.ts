import { inSpan, SpanAttr } from '@ferry/shared';
import { supportsRangedReads } from '../sources/source.ts';
import { expectedSizeMismatch } from './digest-checks.ts';
import { discardUpload } from './discard-upload.ts';
import { runMultipartTransfer } from './multipart-transfer.ts';
import { checkDestination } from './overwrite-policy.ts';
import { putEmptyObject } from './put-empty-object.ts';
import { restartOnSourceChange } from './source-change.ts';
import { runStreamTransfer } from './stream-transfer.ts';
import type { TransferContext, TransferOutcome } from './transfer-context.ts';
import { withRetries } from './with-retries.ts';

/**
 * Moves one file from its source to S3: asks the source what it is, then takes the ranged multipart
 * path when it can (known size, ranges, a version to pin), the streaming path when it cannot, and a
 * plain PutObject for an empty file. A source that changes on the way is imported again from the
 * start, or fails the import, as ON_SOURCE_CHANGE says. The request's overwrite policy may leave an
 * object the destination holds (a skipped result); its expected size fails the import up front.
 */
export function importFile(ctx: TransferContext): Promise<TransferOutcome> {
  return restartOnSourceChange(ctx, () => importVersion(ctx));
}

async function importVersion(ctx: TransferContext): Promise<TransferOutcome> {
  const startedAt = ctx.now();
  if (ctx.stop.aborted) return { kind: 'interrupted' };
  const retries = {
    tries: ctx.partTries,
    policy: ctx.partBackoff,
    random: ctx.random,
    signal: ctx.abort,
    stop: ctx.stop,
  };
  // Probes the endpoint on the worker's first import (auto), so no part waits on it.
  await inSpan('ferry.probe', {}, () =>
    withRetries(() => ctx.sink.profile(ctx.destination.bucket, ctx.abort), retries),
  );
  const metadata = await inSpan('ferry.metadata', {}, async (span) => {
    const answer = await withRetries(() => ctx.source.metadata(ctx.abort), retries);
    span?.setAttributes({ [SpanAttr.BYTES]: answer.size ?? -1, 'ferry.source.ranges': answer.ranges });
    return answer;
  });
  ctx.progress.total = metadata.size;
  ctx.logger.debug(
    { size: metadata.size, ranges: metadata.ranges, versioned: !!metadata.version },
    'source metadata',
  );
  if (ctx.stop.aborted) return { kind: 'interrupted' };
  const sizeMismatch = expectedSizeMismatch(ctx.expected, metadata.size);
  if (sizeMismatch) throw sizeMismatch;
  const skipped = await checkDestination(ctx, metadata, startedAt);
  if (skipped) {
    // An earlier attempt's upload, begun before the key was taken, is of no use any more.
    await discardUpload(ctx.importId, ctx);
    return { kind: 'completed', result: skipped };
  }
  if (metadata.size !== 0 && supportsRangedReads(metadata))
    return runMultipartTransfer(ctx, metadata, startedAt);
  // A checkpoint from an earlier attempt is of no use to these paths.
  await discardUpload(ctx.importId, ctx);
  if (metadata.size === 0) return putEmptyObject(ctx, metadata, startedAt);
  return runStreamTransfer(ctx, metadata, startedAt);
}
