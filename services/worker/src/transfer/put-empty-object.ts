import { KEY_EXISTS } from '../sink/s3-sink.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { formatCrc32 } from './crc32-combine.ts';
import { DigestChecks, expectedSizeMismatch } from './digest-checks.ts';
import { sourceMetadataHeaders } from './object-metadata.ts';
import { guardWrite, keyTaken } from './overwrite-policy.ts';
import type { TransferContext, TransferOutcome } from './transfer-context.ts';

/**
 * An empty file: a plain PutObject (a multipart upload cannot have zero parts), then checked. The
 * size and digests stated for it must be those of no bytes; under overwrite `never` the put is conditional
 * where the endpoint allows.
 */
export async function putEmptyObject(
  ctx: TransferContext,
  metadata: SourceMetadata,
  startedAt: number,
): Promise<TransferOutcome> {
  const sizeMismatch = expectedSizeMismatch(ctx.expected, 0);
  if (sizeMismatch) throw sizeMismatch;
  new DigestChecks(metadata.digest, ctx.expected).verify([]);
  const guard = await guardWrite(ctx, 'put', startedAt);
  if ('skipped' in guard) return { kind: 'completed', result: guard.skipped };
  const headers = sourceMetadataHeaders(metadata, ctx.importId, ctx.expected);
  const put = await ctx.sink.putEmpty(ctx.destination, headers, guard.ifNoneMatch);
  if (put === KEY_EXISTS) {
    const skipped = await keyTaken(ctx, startedAt);
    if (skipped) return { kind: 'completed', result: skipped };
  }
  const head = await ctx.sink.confirmStored(ctx.destination, { size: 0, crc32: 0, partEtags: null });
  return {
    kind: 'completed',
    result: {
      size: 0,
      etag: (put === KEY_EXISTS ? '' : put.etag) || (head.etag ?? ''),
      checksum: formatCrc32(0),
      partCount: 0,
      durationMs: ctx.now() - startedAt,
      ...(guard.existenceCheck ? { existenceCheck: guard.existenceCheck } : {}),
    },
  };
}
