import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ErrorCode } from '@ferry/shared';
import { permanentError } from '../errors/transfer-error.ts';
import { toDestinationError } from '../sink/destination-error.ts';
import { type SourceMetadata, supportsRangedReads } from '../sources/source.ts';
import { formatCrc32 } from './crc32-combine.ts';
import { discardUpload } from './discard-upload.ts';
import { runMultipartTransfer } from './multipart-transfer.ts';
import { sourceMetadataHeaders } from './object-metadata.ts';
import { restartOnSourceChange } from './source-change.ts';
import { runStreamTransfer } from './stream-transfer.ts';
import type { TransferContext, TransferOutcome } from './transfer-context.ts';
import { withRetries } from './with-retries.ts';

/**
 * Moves one file from its source to S3: asks the source what it is, then takes the ranged multipart
 * path when it can (known size, ranges, a version to pin), the streaming path when it cannot, and a
 * plain PutObject for an empty file. A source that changes on the way is imported again from the
 * start, or fails the import, as ON_SOURCE_CHANGE says.
 */
export function importFile(ctx: TransferContext): Promise<TransferOutcome> {
  return restartOnSourceChange(ctx, () => importVersion(ctx));
}

async function importVersion(ctx: TransferContext): Promise<TransferOutcome> {
  const startedAt = ctx.now();
  if (ctx.stop.aborted) return { kind: 'interrupted' };
  const metadata = await withRetries(() => ctx.source.metadata(ctx.abort), {
    tries: ctx.partTries,
    policy: ctx.partBackoff,
    random: ctx.random,
    signal: ctx.abort,
    stop: ctx.stop,
  });
  ctx.progress.total = metadata.size;
  ctx.logger.debug(
    { size: metadata.size, ranges: metadata.ranges, versioned: !!metadata.version },
    'source metadata',
  );
  if (ctx.stop.aborted) return { kind: 'interrupted' };
  if (metadata.size !== 0 && supportsRangedReads(metadata))
    return runMultipartTransfer(ctx, metadata, startedAt);
  // A checkpoint from an earlier attempt is of no use to these paths.
  await discardUpload(ctx.importId, ctx);
  if (metadata.size === 0) return putEmptyObject(ctx, metadata, startedAt);
  return runStreamTransfer(ctx, metadata, startedAt);
}

async function putEmptyObject(
  ctx: TransferContext,
  metadata: SourceMetadata,
  startedAt: number,
): Promise<TransferOutcome> {
  const { bucket, key } = ctx.destination;
  try {
    const put = await ctx.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: Buffer.alloc(0),
        ContentLength: 0,
        Metadata: sourceMetadataHeaders(metadata),
      }),
    );
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    if (head.ContentLength !== 0) {
      throw permanentError(
        ErrorCode.SIZE_MISMATCH,
        `S3 holds ${head.ContentLength ?? 'no'} bytes of an empty file`,
      );
    }
    return {
      kind: 'completed',
      result: {
        size: 0,
        etag: put.ETag ?? head.ETag ?? '',
        checksum: formatCrc32(0),
        partCount: 0,
        durationMs: ctx.now() - startedAt,
      },
    };
  } catch (error) {
    throw toDestinationError(error, 'PutObject');
  }
}
