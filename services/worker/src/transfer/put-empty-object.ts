import type { SourceMetadata } from '../sources/source.ts';
import { formatCrc32 } from './crc32-combine.ts';
import { sourceMetadataHeaders } from './object-metadata.ts';
import type { TransferContext, TransferOutcome } from './transfer-context.ts';

/** An empty file: a plain PutObject (a multipart upload cannot have zero parts), then checked. */
export async function putEmptyObject(
  ctx: TransferContext,
  metadata: SourceMetadata,
  startedAt: number,
): Promise<TransferOutcome> {
  const put = await ctx.sink.putEmpty(ctx.destination, sourceMetadataHeaders(metadata));
  const head = await ctx.sink.confirmStored(ctx.destination, { size: 0, crc32: 0, partEtags: null });
  return {
    kind: 'completed',
    result: {
      size: 0,
      etag: put || (head.etag ?? ''),
      checksum: formatCrc32(0),
      partCount: 0,
      durationMs: ctx.now() - startedAt,
    },
  };
}
