import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ErrorCode, FerryError, type ManifestObject } from '@ferry/shared';
import { unavailable } from '../dependency-call.ts';

/** Parts of streamed uploads (manifests, reports): small, since only a few are in memory at once. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Streams `body` into `bucket/key` as a multipart upload (one PutObject when it is small), holding
 * at most a few parts in memory. Answers the object's ETag; rejects (and aborts the upload) when
 * `body` fails.
 */
export async function writeStreamed(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Readable,
  contentType: string,
): Promise<string> {
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
    partSize: PART_BYTES,
    queueSize: 2,
  });
  const done = await upload.done();
  return done.ETag ?? '';
}

/** The manifest an S3 source names: its size and ETag, to pin every later read to this version. */
export async function headManifest(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ etag: string; size: number }> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: head.ETag ?? '', size: head.ContentLength ?? 0 };
  } catch (error) {
    throw manifestUnreadable(error, 400);
  }
}

/** Ranges grow to this at most: one GET's worth of a large manifest. */
const MAX_RANGE_BYTES = 64 * 1024 * 1024;

/**
 * The manifest's bytes from `offset` to its end, refused if the object is no longer the one the job
 * pinned. Read in ranges, the first of `firstRangeBytes` and each next one twice the last: a window
 * that needs a few hundred rows asks S3 for about those, not for the rest of a manifest of millions,
 * while a whole read (the report) soon runs in large ranges.
 */
export async function* readManifest(
  s3: S3Client,
  manifest: ManifestObject,
  offset: number,
  firstRangeBytes = 8 * 1024 * 1024,
): AsyncGenerator<Buffer> {
  let start = offset;
  let length = Math.max(1, Math.min(firstRangeBytes, MAX_RANGE_BYTES));
  while (start < manifest.size) {
    const end = Math.min(manifest.size, start + length) - 1;
    let body: Readable;
    try {
      const answer = await s3.send(
        new GetObjectCommand({
          Bucket: manifest.bucket,
          Key: manifest.key,
          Range: `bytes=${start}-${end}`,
          ...(manifest.etag ? { IfMatch: manifest.etag } : {}),
        }),
      );
      body = answer.Body as Readable;
    } catch (error) {
      throw manifestUnreadable(error, 409);
    }
    yield* body;
    start = end + 1;
    length = Math.min(length * 2, MAX_RANGE_BYTES);
  }
}

/** S3's answers that mean the manifest is not there for us (gone, no access, changed): final. */
const UNREADABLE_STATUSES = new Set([403, 404, 412]);

/**
 * MANIFEST_UNREADABLE for the answers above, named by the error's name and status only (an SDK
 * message may quote a presigned request); anything else (a network error, a 5xx) is S3 being
 * unavailable, a 503 to a client and a retry for the expander.
 */
function manifestUnreadable(error: unknown, status: number): FerryError {
  const name = error instanceof Error ? error.name : 'error';
  const httpStatus = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (httpStatus === undefined || !UNREADABLE_STATUSES.has(httpStatus)) return s3Unavailable(error);
  return new FerryError(
    ErrorCode.MANIFEST_UNREADABLE,
    `manifest: could not be read from S3 (${name}, HTTP ${httpStatus})`,
    { status, cause: error },
  );
}

/** S3 did not answer as it should (network, 5xx): a 503 the client may retry. */
export function s3Unavailable(error: unknown): FerryError {
  return unavailable('S3', error);
}
