import { createHash } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { crc32FromBase64 } from './crc32-base64.ts';
import { s3Status, toDestinationError } from './destination-error.ts';
import type { ObjectHead, ObjectTarget } from './sink-types.ts';

/**
 * S3's ETag for an object completed from these parts, in order: the MD5 of the parts' binary MD5s
 * (their ETags), a dash and the part count. Null when a part's ETag is not an MD5 in hex.
 */
export function multipartEtag(partEtags: readonly string[]): string | null {
  const digests: Buffer[] = [];
  for (const etag of partEtags) {
    const hex = etag.replaceAll('"', '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) return null;
    digests.push(Buffer.from(hex, 'hex'));
  }
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${partEtags.length}"`;
}

export interface CompletedUpload extends ObjectTarget {
  size: number;
  /** Every part's ETag, in part order. */
  partEtags: readonly string[];
  /** The whole object's CRC-32, when every part's is known. */
  crc32: number | null;
}

/**
 * HeadObject, asking for the checksum S3 keeps; null when there is no such object. Other failures
 * are destination errors (a 5xx transient, a denial permanent).
 */
export async function headObject(
  s3: S3Client,
  target: ObjectTarget,
  signal?: AbortSignal,
): Promise<ObjectHead | null> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: target.bucket, Key: target.key, ChecksumMode: 'ENABLED' }),
      signal ? { abortSignal: signal } : {},
    );
    // A composite checksum (CRC of the parts' CRCs, "…-N") is not the object's; a full-object one is.
    const full = head.ChecksumType === 'FULL_OBJECT' && head.ChecksumCRC32 ? head.ChecksumCRC32 : null;
    return {
      size: head.ContentLength ?? null,
      etag: head.ETag ?? null,
      fullObjectCrc32: full === null ? null : crc32FromBase64(full),
      metadata: head.Metadata ?? {},
    };
  } catch (error) {
    if (s3Status(error) === 404) return null;
    throw toDestinationError(error, 'HeadObject');
  }
}

/**
 * When S3 no longer knows an upload this attempt was about to complete, an earlier attempt may have
 * completed it and died before recording so (or its answer was lost on the way back). Answers the
 * object's ETag when the destination holds exactly that completion: the ETag S3 derives from these
 * very parts, the size, and the full-object CRC-32 where S3 reports one (Ferry's uploads ask for
 * it). Null when the destination holds no such object: the upload is really gone and the import
 * starts over. Any other failure says nothing either way, and starting over on it would throw away
 * every part: it throws, the attempt fails and the next one looks again.
 */
export async function findCompletedUpload(
  s3: S3Client,
  upload: CompletedUpload,
  signal: AbortSignal,
): Promise<string | null> {
  const expected = multipartEtag(upload.partEtags);
  if (expected === null) return null;
  const head = await headObject(s3, upload, signal);
  if (!head || head.etag !== expected || head.size !== upload.size) return null;
  if (head.fullObjectCrc32 !== null && upload.crc32 !== null && head.fullObjectCrc32 !== upload.crc32)
    return null;
  return head.etag;
}
