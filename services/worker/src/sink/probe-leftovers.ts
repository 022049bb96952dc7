import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Logger } from '@ferry/shared';
import { PROBE_PREFIX } from './probe-endpoint.ts';

/** Leftovers are a dead prober's handful; a listing that goes on and on is not believed. */
const MAX_LISTED = 1000;

/**
 * Aborts the scratch uploads and deletes the scratch objects that earlier probes of `bucket` left
 * under PROBE_PREFIX: a worker killed in the middle of its probe cannot clean up after itself. Only
 * the holder of the fleet's probe turn calls this (see RedisProbeCache.probeOnce), so whatever it
 * finds is nobody's work in progress. A server without ListMultipartUploads keeps its uploads (a
 * few KiB each), as it keeps those of interrupted imports; every failure is logged and probing goes on.
 */
export async function removeProbeLeftovers(s3: S3Client, bucket: string, logger: Logger): Promise<number> {
  let removed = 0;
  try {
    const uploads = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: PROBE_PREFIX, MaxUploads: MAX_LISTED }),
    );
    // A server that took the request for a listing of objects answers no Bucket.
    if (uploads.Bucket === undefined) {
      logger.info(
        { bucket },
        "this S3 server cannot list uploads: scratch uploads of an interrupted endpoint probe are left to the bucket's AbortIncompleteMultipartUpload rule",
      );
    }
    for (const upload of uploads.Bucket === undefined ? [] : (uploads.Uploads ?? [])) {
      if (!upload.Key?.startsWith(PROBE_PREFIX) || !upload.UploadId) continue;
      await s3.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
      removed++;
    }
    const objects = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: PROBE_PREFIX, MaxKeys: MAX_LISTED }),
    );
    for (const object of objects.Contents ?? []) {
      if (!object.Key?.startsWith(PROBE_PREFIX)) continue;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
      removed++;
    }
  } catch (error) {
    logger.warn({ err: error, bucket }, 'could not remove what earlier endpoint probes left');
  }
  if (removed > 0) logger.info({ bucket, removed }, 'removed what earlier endpoint probes left');
  return removed;
}
