import type { Readable } from 'node:stream';
import { crc32Base64 } from './crc32-base64.ts';
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
