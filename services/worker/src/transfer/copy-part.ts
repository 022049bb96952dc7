import { UploadPartCopyCommand, type UploadPartCopyCommandOutput } from '@aws-sdk/client-s3';
import { ErrorCode } from '@ferry/shared';
import { transientError } from '../errors/transfer-error.ts';
import { s3ErrorName, toDestinationError } from '../sink/destination-error.ts';
import { s3SourceError } from '../sources/s3-object-source.ts';
import type { ServerSideCopySource, SourceMetadata } from '../sources/source.ts';
import type { FinishedPart } from './checkpoint.ts';
import { crc32FromBase64 } from './crc32-combine.ts';
import { type PartRange, partLength } from './plan-parts.ts';
import type { TransferContext } from './transfer-context.ts';

/** `bucket/key[?versionId=]` with the key URL-encoded, as CopySource wants it. */
export function copySourceOf(source: ServerSideCopySource): string {
  const key = source.key.split('/').map(encodeURIComponent).join('/');
  return `${source.bucket}/${key}${source.versionId ? `?versionId=${encodeURIComponent(source.versionId)}` : ''}`;
}

/**
 * One try at one part of an S3-to-S3 import: S3 copies the byte range itself (UploadPartCopy), so no
 * bytes pass through the worker. CopySourceIfMatch pins the version seen at planning: a source that
 * changed fails the part with 412 (SOURCE_CHANGED) instead of mixing two versions. The part's CRC-32
 * comes from S3 when the upload was created with that algorithm; some S3-compatible servers omit it.
 */
export async function copyPart(
  ctx: TransferContext,
  upload: { uploadId: string },
  metadata: SourceMetadata,
  part: PartRange,
  signal: AbortSignal,
  source: ServerSideCopySource,
): Promise<FinishedPart> {
  const length = partLength(part);
  let response: UploadPartCopyCommandOutput;
  try {
    response = await ctx.s3.send(
      new UploadPartCopyCommand({
        Bucket: ctx.destination.bucket,
        Key: ctx.destination.key,
        UploadId: upload.uploadId,
        PartNumber: part.partNumber,
        CopySource: copySourceOf(source),
        CopySourceRange: `bytes=${part.start}-${part.end}`,
        ...(metadata.version ? { CopySourceIfMatch: metadata.version } : {}),
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    throw copyError(error, part.partNumber);
  }
  const etag = response.CopyPartResult?.ETag;
  if (!etag)
    throw transientError(
      ErrorCode.DESTINATION_ERROR,
      `part ${part.partNumber}: S3 sent no ETag for the copy`,
    );
  const crc = response.CopyPartResult?.ChecksumCRC32;
  ctx.progress.done += length;
  return { partNumber: part.partNumber, etag, crc32: crc ? crc32FromBase64(crc) : null, size: length };
}

/**
 * UploadPartCopy fails for reasons on either side: a changed or missing source object is the
 * source's (SOURCE_CHANGED, SOURCE_NOT_FOUND); anything else is judged as a destination failure.
 */
function copyError(error: unknown, partNumber: number) {
  const name = s3ErrorName(error);
  if (name === 'PreconditionFailed' || name === 'NoSuchKey' || name === 'NoSuchVersion') {
    return s3SourceError(error, `UploadPartCopy ${partNumber}`);
  }
  return toDestinationError(error, `UploadPartCopy ${partNumber}`);
}
