import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@ferry/shared';
import { s3ErrorName } from '../sink/destination-error.ts';
import type { CheckpointStore } from './checkpoint.ts';

/**
 * Gives up an import's multipart upload for good (failed, canceled, or the source changed): aborts
 * it in S3 so its parts stop costing storage, then forgets the checkpoint. Failing to abort is
 * logged, not thrown: the bucket's lifecycle rule for incomplete uploads is the backstop.
 */
export async function discardUpload(
  importId: string,
  deps: { s3: S3Client; checkpoints: CheckpointStore; logger: Logger },
): Promise<void> {
  const checkpoint = await deps.checkpoints.load(importId);
  if (checkpoint) {
    await abortUploadQuietly(deps.s3, checkpoint, deps.logger);
  }
  await deps.checkpoints.delete(importId);
}

export async function abortUploadQuietly(
  s3: S3Client,
  upload: { bucket: string; key: string; uploadId: string },
  logger: Logger,
): Promise<void> {
  try {
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }),
    );
  } catch (error) {
    if (s3ErrorName(error) === 'NoSuchUpload') return;
    logger.warn({ err: error, uploadId: upload.uploadId }, 'could not abort multipart upload');
  }
}
