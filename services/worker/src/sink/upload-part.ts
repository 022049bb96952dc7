import type { S3Client, UploadPartCommandOutput } from '@aws-sdk/client-s3';
import { ErrorCode } from '@ferry/shared';
import type { PartStream } from '../bytes/part-stream.ts';
import { permanentError, type TransferError, transientError } from '../errors/transfer-error.ts';
import { bufferPart } from './buffered-part.ts';
import type { SinkProfile } from './checksum-mode.ts';
import { clientSecret } from './client-secret.ts';
import { crc32FromBase64 } from './crc32-base64.ts';
import { s3ErrorName, toDestinationError } from './destination-error.ts';
import { type Framing, PartBody } from './part-body.ts';
import { plainWire, signedChunksWire, trailerWire } from './part-wire.ts';
import { type PartWire, sendUploadPart } from './send-upload-part.ts';
import type { StoredPart, UploadRef } from './sink-types.ts';

/** A part's bytes as the source delivers them, and who else wants to see them on the way. */
export interface PartPayload {
  stream: PartStream;
  length: number;
  onBytes?: (count: number) => void;
  /** Sees every byte of the part, in order (a whole-file digest's hasher). */
  onChunk?: (chunk: Buffer) => void;
}

/**
 * The source side of a part failed (reset, timeout, more or fewer bytes than the part has) and cut
 * the upload off: the source's error, for the engine to judge, and nothing S3 did wrong.
 */
export class SourceReadFailed extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'SourceReadFailed';
  }
}

/** How each streamed mode frames the part (`header` sends what it buffered, as it is). */
const FRAMING: Record<Exclude<SinkProfile['mode'], 'header'>, Framing> = {
  trailer: 'aws-chunked',
  signed: 'aws-chunked-signed',
  etag: 'identity',
};

/**
 * One try at one part, in the profile's mode: the bytes pass once through the worker, and the part
 * counts only when S3 is known to hold exactly them. `trailer`: S3 verifies the aws-chunked CRC-32
 * trailer and echoes it. `signed`: S3 verifies every chunk's signature, which covers its SHA-256.
 * `etag`: the MD5 computed in the same pass must be the ETag S3 answers. `header`: the part is read
 * whole first, then sent with the checksums S3 verifies up front.
 */
export async function uploadPart(
  s3: S3Client,
  profile: SinkProfile,
  upload: UploadRef,
  partNumber: number,
  payload: PartPayload,
  signal: AbortSignal,
): Promise<StoredPart> {
  const input = { Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId, PartNumber: partNumber };
  const hooks = {
    ...(payload.onBytes ? { onBytes: payload.onBytes } : {}),
    ...(payload.onChunk ? { onChunk: payload.onChunk } : {}),
  };
  let body: PartBody;
  let wire: PartWire;
  let crc: () => number;
  if (profile.mode === 'header') {
    const buffered = await bufferPart(payload.stream, payload.length, hooks, signal).catch((error: Error) => {
      throw signal.aborted ? error : new SourceReadFailed(error);
    });
    body = new PartBody(buffered.replay(), payload.length, { framing: 'identity', crc32: false });
    wire = plainWire(body, payload.length, {
      ...(profile.contentMd5 ? { md5: buffered.md5 } : {}),
      ...(profile.crc32Checksums ? { crc32: buffered.crc32 } : {}),
    });
    crc = () => buffered.crc32;
  } else {
    const framing = FRAMING[profile.mode];
    body = new PartBody(payload.stream, payload.length, { framing, md5: profile.mode === 'etag', ...hooks });
    wire =
      framing === 'aws-chunked'
        ? trailerWire(body, { encoded: body.encodedLength, decoded: body.decodedLength })
        : framing === 'aws-chunked-signed'
          ? signedChunksWire(body, clientSecret(s3))
          : plainWire(body, payload.length);
    crc = () => body.crc;
  }

  let response: UploadPartCommandOutput;
  try {
    response = await sendUploadPart(s3, input, wire, signal);
    // S3 may have answered before the source finished its answer: the part is not done until it has.
    await body.sourceEnded();
  } catch (error) {
    if (signal.aborted) throw error;
    // The source side failed (and cut the request off), or S3 did.
    if (body.failure) throw new SourceReadFailed(body.failure);
    throw partRefused(error, partNumber, profile);
  } finally {
    body.destroy();
  }
  if (body.bytes !== payload.length) {
    throw new SourceReadFailed(
      transientError(
        ErrorCode.SOURCE_SIZE_MISMATCH,
        `part ${partNumber}: sent ${body.bytes} of ${payload.length} bytes`,
      ),
    );
  }
  // S3 echoes the CRC-32 it verified; it must be the one of the bytes read.
  const stored = response.ChecksumCRC32 ? crc32FromBase64(response.ChecksumCRC32) : null;
  if (stored !== null && stored !== crc()) {
    throw transientError(
      ErrorCode.DESTINATION_ERROR,
      `part ${partNumber}: S3 stored different bytes than were read`,
    );
  }
  const etag = response.ETag;
  if (!etag) throw transientError(ErrorCode.DESTINATION_ERROR, `part ${partNumber}: S3 sent no ETag`);
  if (profile.mode === 'etag') checkEtag(etag, body.md5Hex(), partNumber);
  return { partNumber, etag, crc32: crc(), size: payload.length };
}

/**
 * In `etag` mode the ETag is the only check there is: one that is an MD5 but not of the bytes sent
 * means S3 stored other bytes (the part is sent again); one that is no MD5 at all means the mode
 * cannot work with this server (or this bucket's encryption) and retrying would not help.
 */
function checkEtag(etag: string, md5: string, partNumber: number): void {
  const hex = etag.replaceAll('"', '').toLowerCase();
  if (hex === md5) return;
  if (!/^[0-9a-f]{32}$/.test(hex)) {
    throw permanentError(
      ErrorCode.DESTINATION_UNSUPPORTED,
      `part ${partNumber}: S3 answered the ETag ${etag}, not an MD5 of the part, so S3_CHECKSUM_MODE=etag cannot verify it; use auto, signed, header or trailer`,
    );
  }
  throw transientError(
    ErrorCode.DESTINATION_ERROR,
    `part ${partNumber}: S3 stored different bytes than were sent (ETag ${etag}, MD5 ${md5})`,
  );
}

/** How servers that do not take an aws-chunked framing refuse it. */
const FRAMING_REFUSED = new Set([
  'XAmzContentSHA256Mismatch',
  'NotImplemented',
  'InvalidArgument',
  'InvalidRequest',
]);

/**
 * A refused part. A signed chunk refused for its signature changed on the way: sent again. A server
 * that does not decode an aws-chunked framing says so in several ways (RGW before 19 answers
 * XAmzContentSHA256Mismatch to trailers, others NotImplemented or InvalidArgument): in `trailer`
 * or `signed` mode that means the mode cannot work here, which retrying would not change.
 */
function partRefused(error: unknown, partNumber: number, profile: SinkProfile): TransferError {
  const name = s3ErrorName(error);
  if (profile.mode === 'signed' && name === 'SignatureDoesNotMatch') {
    return transientError(
      ErrorCode.DESTINATION_ERROR,
      `part ${partNumber}: S3 refused a chunk whose bytes do not match its signature (changed on the way)`,
      error,
    );
  }
  const failure = toDestinationError(error, `UploadPart ${partNumber}`);
  const chunked = profile.mode === 'trailer' || profile.mode === 'signed';
  if (!chunked || failure.retryable || !name || !FRAMING_REFUSED.has(name)) return failure;
  const framing =
    profile.mode === 'trailer'
      ? 'an aws-chunked body with a CRC-32 trailer'
      : 'an aws-chunked body signed chunk by chunk';
  return permanentError(
    ErrorCode.DESTINATION_UNSUPPORTED,
    `part ${partNumber}: the S3 endpoint refused ${framing} (${name}), so S3_CHECKSUM_MODE=${profile.mode} cannot work with it; use auto, etag or header`,
    error,
  );
}
