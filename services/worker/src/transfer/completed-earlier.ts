import { createHash } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { toDestinationError } from '../sink/destination-error.ts';
import { crc32Base64 } from './crc32-combine.ts';

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

export interface CompletedUpload {
  bucket: string;
  key: string;
  size: number;
  /** Every part's ETag, in part order. */
  partEtags: readonly string[];
  /** The whole object's CRC-32, when every part's is known. */
  crc32: number | null;
}

/**
 * When S3 no longer knows an upload this attempt was about to complete, an earlier attempt may have
 * completed it and died before recording so (or its answer was lost on the way back). Answers the
 * object's ETag when the destination holds exactly that completion: the ETag S3 derives from these
 * very parts, the size, and the full-object CRC-32 where S3 reports one (Ferry's uploads ask for it). Null when the destination
 * holds no such object: the upload is really gone and the import starts over.
 */
export async function completedEarlier(
  s3: S3Client,
  upload: CompletedUpload,
  signal: AbortSignal,
): Promise<string | null> {
  const expected = multipartEtag(upload.partEtags);
  if (expected === null) return null;
  let head: Awaited<ReturnType<typeof headObject>>;
  try {
    head = await headObject(s3, upload, signal);
  } catch (error) {
    // No object: nothing was completed. Any other failure says nothing either way, and starting over
    // on it would throw away every part: the attempt fails and the next one looks again.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
    throw toDestinationError(error, 'HeadObject');
  }
  if (head.ETag !== expected || head.ContentLength !== upload.size) return null;
  // A composite checksum (CRC of the parts' CRCs, "…-N") is not the object's; a full-object one is.
  const reported = head.ChecksumType === 'FULL_OBJECT' ? head.ChecksumCRC32 : undefined;
  if (reported && upload.crc32 !== null && reported !== crc32Base64(upload.crc32)) return null;
  return head.ETag;
}

function headObject(s3: S3Client, upload: CompletedUpload, signal: AbortSignal) {
  return s3.send(new HeadObjectCommand({ Bucket: upload.bucket, Key: upload.key, ChecksumMode: 'ENABLED' }), {
    abortSignal: signal,
  });
}
