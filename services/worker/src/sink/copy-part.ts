import { type S3Client, UploadPartCopyCommand, type UploadPartCopyCommandOutput } from '@aws-sdk/client-s3';
import { ErrorCode } from '@ferry/shared';
import { permanentError, type TransferError, transientError } from '../errors/transfer-error.ts';
import type { ServerSideCopySource } from '../sources/source.ts';
import { crc32FromBase64 } from './crc32-base64.ts';
import { s3ErrorName, toDestinationError } from './destination-error.ts';
import type { StoredPart, UploadRef } from './sink-types.ts';

/** `bucket/key[?versionId=]` with the key URL-encoded, as CopySource wants it. */
export function copySourceOf(source: ServerSideCopySource): string {
  const key = source.key.split('/').map(encodeURIComponent).join('/');
  return `${source.bucket}/${key}${source.versionId ? `?versionId=${encodeURIComponent(source.versionId)}` : ''}`;
}

export interface CopyRange {
  partNumber: number;
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * One part of an S3-to-S3 import, copied by S3 itself (UploadPartCopy): no bytes pass through the
 * worker. `ifMatch` pins the version seen at planning: a source that changed fails the part with
 * 412 (SOURCE_CHANGED) instead of mixing two versions. The part's CRC-32 comes from S3 when the
 * upload was created with that algorithm; servers that keep no checksums omit it.
 */
export async function copyPart(
  s3: S3Client,
  upload: UploadRef,
  source: ServerSideCopySource,
  range: CopyRange,
  ifMatch: string | null,
  signal: AbortSignal,
): Promise<StoredPart> {
  let response: UploadPartCopyCommandOutput;
  try {
    response = await s3.send(
      new UploadPartCopyCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        PartNumber: range.partNumber,
        CopySource: copySourceOf(source),
        CopySourceRange: `bytes=${range.start}-${range.end}`,
        ...(ifMatch ? { CopySourceIfMatch: ifMatch } : {}),
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    throw copyError(error, range.partNumber);
  }
  const etag = response.CopyPartResult?.ETag;
  if (!etag) {
    throw transientError(
      ErrorCode.DESTINATION_ERROR,
      `part ${range.partNumber}: S3 sent no ETag for the copy`,
    );
  }
  const crc = response.CopyPartResult?.ChecksumCRC32;
  return {
    partNumber: range.partNumber,
    etag,
    crc32: crc ? crc32FromBase64(crc) : null,
    size: range.end - range.start + 1,
  };
}

/**
 * UploadPartCopy fails for reasons on either side: a changed or missing source object is the
 * source's (SOURCE_CHANGED, SOURCE_NOT_FOUND); anything else is judged as a destination failure.
 */
function copyError(error: unknown, partNumber: number): TransferError {
  const name = s3ErrorName(error);
  const action = `UploadPartCopy ${partNumber}`;
  if (name === 'PreconditionFailed') {
    return permanentError(
      ErrorCode.SOURCE_CHANGED,
      `source object changed during the import (${action}: PreconditionFailed)`,
      error,
    );
  }
  if (name === 'NoSuchKey' || name === 'NoSuchVersion') {
    return permanentError(ErrorCode.SOURCE_NOT_FOUND, `source object is gone (${action}: ${name})`, error);
  }
  return toDestinationError(error, action);
}
