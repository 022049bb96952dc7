import { ErrorCode } from '@ferry/shared';
import { TransferError, toTransferError, transientError } from '../errors/transfer-error.ts';
import { s3ErrorName, toDestinationError } from '../sink/destination-error.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { toSourceError } from '../sources/source-error.ts';
import { AwsChunkedBody } from './aws-chunked-body.ts';
import type { FinishedPart } from './checkpoint.ts';
import { crc32FromBase64 } from './crc32-combine.ts';
import { type PartStream, toPartStream } from './part-stream.ts';
import { type PartRange, partLength } from './plan-parts.ts';
import { sendUploadPart } from './send-upload-part.ts';
import type { TransferContext } from './transfer-context.ts';
import type { PartHasher } from './whole-file-digest.ts';

/**
 * Memory one streamed part holds between the source socket and the S3 socket. Enough to keep both
 * sockets busy (the kernel buffers more on each side); the part's size does not matter.
 */
export const PART_WINDOW_BYTES = 1024 * 1024;

/**
 * One try at one part: once the worker's memory budget has room for the part's window, a ranged GET
 * streamed straight into UploadPart. The bytes pass once through the worker: into budget buffers
 * from the source socket, through one CRC-32 pass, out to the S3 socket as an aws-chunked body whose
 * trailer carries the CRC-32, so S3 verifies the part on arrival. A source answer shorter or longer
 * than the part fails the try (retried), as does S3 echoing a different checksum.
 */
export async function uploadPart(
  ctx: TransferContext,
  upload: { uploadId: string },
  metadata: SourceMetadata,
  part: PartRange,
  signal: AbortSignal,
  hasher: PartHasher | null = null,
): Promise<FinishedPart> {
  const length = partLength(part);
  // A drain stops parts still waiting for budget from starting at all.
  const lease = await ctx.memory.acquire(PART_WINDOW_BYTES, AbortSignal.any([signal, ctx.stop]));
  let stream: PartStream | null = null;
  let body: AwsChunkedBody | null = null;
  let counted = 0;
  try {
    stream = toPartStream(await ctx.source.readRange(part.start, part.end, metadata, signal, lease));
    body = new AwsChunkedBody(stream, length, {
      onBytes: (count) => {
        counted += count;
        ctx.progress.done += count;
      },
      ...(hasher ? { onChunk: (chunk: Buffer) => hasher.update(chunk) } : {}),
    });
    const response = await sendUploadPart(
      ctx.s3,
      {
        Bucket: ctx.destination.bucket,
        Key: ctx.destination.key,
        UploadId: upload.uploadId,
        PartNumber: part.partNumber,
      },
      body,
      signal,
    ).catch((error: unknown) => {
      if (signal.aborted) throw error;
      // The source side failed (and cut the request off), or S3 did.
      if (body?.failure) throw toSourceError(body.failure);
      throw toDestinationError(error, `UploadPart ${part.partNumber}`);
    });
    if (body.bytes !== length) {
      throw transientError(
        ErrorCode.SOURCE_SIZE_MISMATCH,
        `part ${part.partNumber}: sent ${body.bytes} of ${length} bytes`,
      );
    }
    // S3 echoes the CRC-32 it verified; it must be the one of the bytes read.
    const stored = response.ChecksumCRC32 ? crc32FromBase64(response.ChecksumCRC32) : null;
    if (stored !== null && stored !== body.crc) {
      throw transientError(
        ErrorCode.DESTINATION_ERROR,
        `part ${part.partNumber}: S3 stored different bytes than were read`,
      );
    }
    if (!response.ETag)
      throw transientError(ErrorCode.DESTINATION_ERROR, `part ${part.partNumber}: S3 sent no ETag`);
    return {
      partNumber: part.partNumber,
      etag: response.ETag,
      crc32: body.crc,
      size: length,
      ...(hasher ? { digest: hasher.finish() } : {}),
    };
  } catch (error) {
    ctx.progress.done -= counted;
    if (signal.aborted || error instanceof TransferError) throw error;
    throw toTransferError(error);
  } finally {
    if (body) body.destroy();
    else stream?.destroy();
    lease.release();
  }
}

/** The upload vanished (aborted, expired, completed elsewhere): retrying its parts is pointless. */
export function isUploadGone(error: TransferError): boolean {
  return s3ErrorName(error.cause) === 'NoSuchUpload';
}
