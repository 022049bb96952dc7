import { ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import { crc32FromBase64 } from './crc32-base64.ts';
import { s3ErrorName, s3Status } from './destination-error.ts';
import type { StoredPart, UploadRef } from './sink-types.ts';

/** 10,000 parts at 1,000 a page, and then some: a server that never stops paging is not believed. */
const MAX_PAGES = 20;

/**
 * Every part S3 says the upload holds, page by page; `crc32` is null where S3 did not say. Throws
 * S3's error, or NotListParts for an answer that is not a ListParts result for this upload:
 * classifyListPartsFailure tells what either means.
 */
export async function listParts(
  s3: S3Client,
  upload: UploadRef,
  signal: AbortSignal,
  pageSize?: number,
): Promise<StoredPart[]> {
  const parts: StoredPart[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await s3.send(
      new ListPartsCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        ...(pageSize ? { MaxParts: pageSize } : {}),
        ...(marker ? { PartNumberMarker: marker } : {}),
      }),
      { abortSignal: signal },
    );
    // A server that took the request for something else (fauxqs serves it as GetObject) does not
    // answer with our upload.
    if (response.UploadId !== upload.uploadId) throw new NotListParts();
    for (const part of response.Parts ?? []) {
      if (part.PartNumber === undefined || part.Size === undefined) continue;
      parts.push({
        partNumber: part.PartNumber,
        etag: part.ETag ?? '',
        size: part.Size,
        crc32: part.ChecksumCRC32 ? crc32FromBase64(part.ChecksumCRC32) : null,
      });
    }
    if (!response.IsTruncated) return parts;
    const next = response.NextPartNumberMarker;
    if (!next || next === marker) throw new NotListParts();
    marker = next;
  }
  throw new NotListParts();
}

class NotListParts extends Error {
  constructor() {
    super('the answer to ListParts was not a ListParts result for this upload');
    this.name = 'NotListParts';
  }
}

/** S3 error codes and statuses of a server that has no ListParts, or routed it elsewhere. */
const UNSUPPORTED_NAMES = new Set(['NotImplemented', 'MethodNotAllowed', 'NoSuchKey', 'NotListParts']);
const UNSUPPORTED_STATUSES = new Set([404, 405, 501]);

export type ListPartsFailure = 'upload-gone' | 'unsupported' | 'unavailable';

/**
 * What a failed ListParts means. 404 NoSuchKey is ambiguous: fauxqs, which has no ListParts,
 * answers it so (it serves the request as GetObject), and Ceph RGW answers it so for an upload it
 * no longer has. `answersListParts` (what the endpoint probe found; null when it did not run)
 * settles it: an endpoint known to answer ListParts means the upload is gone.
 */
export function classifyListPartsFailure(error: unknown, answersListParts: boolean | null): ListPartsFailure {
  const name = s3ErrorName(error) ?? (error as { name?: string } | null)?.name;
  if (name === 'NoSuchUpload') return 'upload-gone';
  if (answersListParts === true && (name === 'NoSuchKey' || s3Status(error) === 404)) return 'upload-gone';
  if (name && UNSUPPORTED_NAMES.has(name)) return 'unsupported';
  const status = s3Status(error);
  if (status !== undefined && UNSUPPORTED_STATUSES.has(status)) return 'unsupported';
  // A 200 the SDK could not read as XML: whatever answered, it was not ListParts.
  if (status !== undefined && status >= 200 && status < 300) return 'unsupported';
  return 'unavailable';
}
