import { PassThrough, pipeline } from 'node:stream';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { ErrorCode } from '@ferry/shared';
import { TransferError, transientError } from '../errors/transfer-error.ts';
import { s3ErrorName, toDestinationError } from '../sink/destination-error.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { toSourceError } from '../sources/source-error.ts';
import { ByteMeter } from './byte-meter.ts';
import type { FinishedPart } from './checkpoint.ts';
import { crc32FromBase64 } from './crc32-combine.ts';
import { type PartRange, partLength } from './plan-parts.ts';
import type { TransferContext } from './transfer-context.ts';

/**
 * One try at one part: a ranged GET streamed straight into UploadPart (the part is never held in
 * memory), through a ByteMeter that checks the length and computes the part's CRC-32. The SDK sends
 * the body aws-chunked with an x-amz-checksum-crc32 trailer, so S3 verifies the part on arrival.
 */
export async function uploadPart(
  ctx: TransferContext,
  upload: { uploadId: string },
  metadata: SourceMetadata,
  part: PartRange,
  signal: AbortSignal,
): Promise<FinishedPart> {
  const length = partLength(part);
  // Aborted when the source side of the pipe fails: the SDK does not notice a failing body stream
  // by itself and would wait for bytes that never come.
  const sourceFailed = new AbortController();
  const attemptSignal = AbortSignal.any([signal, sourceFailed.signal]);
  const body = await ctx.source.readRange(part.start, part.end, metadata, attemptSignal);
  let counted = 0;
  const meter = new ByteMeter(length, (count) => {
    counted += count;
    ctx.progress.done += count;
  });
  // What the SDK reads. It must never emit 'error': the SDK pipes it into the HTTP request with no
  // error listener, so a failing body would be an uncaught exception. A failure on the source side
  // aborts the request instead and ends this stream quietly.
  const sdkBody = new PassThrough();
  pipeline(body, meter, (error) => {
    if (!error) return;
    if (!attemptSignal.aborted) sourceFailed.abort(toSourceError(error));
    sdkBody.destroy();
  });
  meter.pipe(sdkBody);
  try {
    const response = await ctx.s3.send(
      new UploadPartCommand({
        Bucket: ctx.destination.bucket,
        Key: ctx.destination.key,
        UploadId: upload.uploadId,
        PartNumber: part.partNumber,
        Body: sdkBody,
        ContentLength: length,
        ChecksumAlgorithm: 'CRC32',
      }),
      { abortSignal: attemptSignal },
    );
    if (meter.bytes !== length) {
      throw transientError(
        ErrorCode.SOURCE_SIZE_MISMATCH,
        `part ${part.partNumber}: read ${meter.bytes} of ${length} bytes`,
      );
    }
    // S3 echoes the CRC-32 it verified; it must be the one of the bytes we read.
    const stored = response.ChecksumCRC32 ? crc32FromBase64(response.ChecksumCRC32) : null;
    if (stored !== null && stored !== meter.crc) {
      throw transientError(
        ErrorCode.DESTINATION_ERROR,
        `part ${part.partNumber}: S3 stored different bytes than were read`,
      );
    }
    if (!response.ETag)
      throw transientError(ErrorCode.DESTINATION_ERROR, `part ${part.partNumber}: S3 sent no ETag`);
    return { partNumber: part.partNumber, etag: response.ETag, crc32: meter.crc, size: length };
  } catch (error) {
    ctx.progress.done -= counted;
    if (signal.aborted || error instanceof TransferError) throw error;
    if (sourceFailed.signal.aborted) throw sourceFailed.signal.reason;
    throw toDestinationError(error, `UploadPart ${part.partNumber}`);
  } finally {
    body.destroy();
    meter.destroy();
    sdkBody.destroy();
  }
}

/** The upload vanished (aborted, expired, completed elsewhere): retrying its parts is pointless. */
export function isUploadGone(error: TransferError): boolean {
  return s3ErrorName(error.cause) === 'NoSuchUpload';
}
