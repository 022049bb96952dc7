import {
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectTarget, UploadRef } from './sink-types.ts';

/** Uploads of one key are few; a server that pages on and on is not believed. */
const MAX_PAGES = 10;

export type UploadsOfKey =
  | { kind: 'listed'; uploads: Array<UploadRef & { initiatedMs: number }> }
  /** The server has no ListMultipartUploads (fauxqs answers it as a listing of objects). */
  | { kind: 'unsupported' };

/**
 * The multipart uploads open for exactly `target`'s key, with when each began. Throws S3's errors
 * other than those that say the call does not exist.
 */
export async function uploadsOfKey(s3: S3Client, target: ObjectTarget): Promise<UploadsOfKey> {
  const uploads: Array<UploadRef & { initiatedMs: number }> = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let response: ListMultipartUploadsCommandOutput;
    try {
      response = await s3.send(
        new ListMultipartUploadsCommand({
          Bucket: target.bucket,
          Prefix: target.key,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const name = (error as { name?: string }).name;
      if (status === 501 || status === 405 || name === 'NotImplemented' || name === 'MethodNotAllowed') {
        return { kind: 'unsupported' };
      }
      throw error;
    }
    // A ListMultipartUploadsResult names its bucket; a server that took the request for a listing of
    // objects (ListBucketResult) does not, and would otherwise read as "no uploads".
    if (response.Bucket === undefined) return { kind: 'unsupported' };
    for (const upload of response.Uploads ?? []) {
      if (upload.Key !== target.key || !upload.UploadId) continue;
      uploads.push({
        ...target,
        uploadId: upload.UploadId,
        initiatedMs: upload.Initiated?.getTime() ?? 0,
      });
    }
    if (!response.IsTruncated) break;
    keyMarker = response.NextKeyMarker;
    uploadIdMarker = response.NextUploadIdMarker;
  }
  return { kind: 'listed', uploads };
}
