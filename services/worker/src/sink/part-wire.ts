import type { Readable } from 'node:stream';
import { ChunkSigner, signingContextOf } from './chunk-signer.ts';
import { crc32Base64 } from './crc32-base64.ts';
import type { PartBody } from './part-body.ts';
import type { PartWire } from './send-upload-part.ts';

/**
 * The aws-chunked body with its CRC-32 trailer: S3 decodes the framing and verifies the CRC-32 as
 * the bytes arrive, with nothing computed up front.
 */
export function trailerWire(
  body: Readable | Buffer,
  lengths: { encoded: number; decoded: number },
): PartWire {
  return {
    body,
    headers: {
      'content-length': String(lengths.encoded),
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(lengths.decoded),
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'x-amz-sdk-checksum-algorithm': 'CRC32',
    },
  };
}

/**
 * The aws-chunked body with a SigV4 signature in every chunk: each signature chains from the
 * request's own (known once the SDK has signed it) and covers the chunk's SHA-256, which the server
 * checks as the bytes arrive.
 */
export function signedChunksWire(
  body: PartBody,
  secretFor: (accessKeyId: string) => Promise<string>,
): PartWire {
  return {
    body,
    headers: {
      'content-length': String(body.encodedLength),
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(body.decodedLength),
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    },
    afterSigning: async (headers) => {
      body.useSigner(new ChunkSigner(await signingContextOf(headers, secretFor)));
    },
  };
}

/**
 * The bytes as they are, with a Content-Length and an unsigned payload (so nothing hashes it for
 * the signature), and whichever checksums are known before the body goes: Content-MD5, which every
 * S3 implementation verifies, and x-amz-checksum-crc32 for servers that keep CRC-32 checksums.
 */
export function plainWire(
  body: Readable | Buffer,
  length: number,
  upFront: { md5?: Buffer; crc32?: number } = {},
): PartWire {
  return {
    body,
    headers: {
      'content-length': String(length),
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      ...(upFront.md5 ? { 'content-md5': upFront.md5.toString('base64') } : {}),
      ...(upFront.crc32 === undefined
        ? {}
        : { 'x-amz-checksum-crc32': crc32Base64(upFront.crc32), 'x-amz-sdk-checksum-algorithm': 'CRC32' }),
    },
  };
}
