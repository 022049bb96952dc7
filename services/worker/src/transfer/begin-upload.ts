import type { UploadRef } from '../sink/sink-types.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { sourceMetadataHeaders } from './object-metadata.ts';
import type { TransferContext } from './transfer-context.ts';

/**
 * Creates the import's multipart upload so that no crash can leave one open that nobody knows of:
 * it is announced in the checkpoint first, and an announcement an earlier attempt left (it died
 * between S3 making its upload and recording it) has that upload aborted now.
 */
export async function beginUpload(ctx: TransferContext, metadata: SourceMetadata): Promise<UploadRef> {
  await abortAnnouncedUpload(ctx);
  await ctx.checkpoints.announceUpload(ctx.importId, { ...ctx.destination, sinceMs: ctx.now() });
  const uploadId = await ctx.sink.createUpload(
    ctx.destination,
    sourceMetadataHeaders(metadata, ctx.importId, ctx.expected),
  );
  ctx.failpoints.hit('upload.after-create');
  return { ...ctx.destination, uploadId };
}

/** Aborts the upload an earlier attempt announced and may have made, if one did; see beginUpload. */
export async function abortAnnouncedUpload(
  ctx: Pick<TransferContext, 'importId' | 'checkpoints' | 'sink' | 'logger'>,
): Promise<void> {
  const announced = await ctx.checkpoints.announcedUpload(ctx.importId);
  if (!announced) return;
  const aborted = await ctx.sink.abortUnrecordedUploads(announced, announced.sinceMs, ctx.logger);
  if (aborted === 'unsupported') {
    ctx.logger.info(
      "an earlier attempt may have left a multipart upload, and this S3 server cannot list uploads: the bucket's AbortIncompleteMultipartUpload rule removes it",
    );
  } else if (aborted > 0) {
    ctx.logger.info({ aborted }, 'aborted the multipart upload an earlier attempt made and never recorded');
  }
}
