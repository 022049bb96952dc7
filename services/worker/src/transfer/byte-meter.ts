import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ErrorCode } from '@ferry/shared';
import { transientError } from '../errors/transfer-error.ts';

/**
 * Sits between the source's response and S3's request body: counts the bytes and computes their
 * CRC-32 as they pass (zlib's native crc32), and fails the stream when the source sends more or
 * fewer bytes than the range asked for, so a short or long answer is a retried part and never a
 * silently wrong object. It holds no bytes beyond the stream buffers: backpressure passes through.
 */
export class ByteMeter extends Transform {
  bytes = 0;
  crc = 0;
  readonly #expected: number | null;
  readonly #onBytes: (count: number) => void;

  constructor(expected: number | null, onBytes: (count: number) => void = () => {}) {
    super();
    this.#expected = expected;
    this.#onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.#expected !== null && this.bytes > this.#expected) {
      callback(
        transientError(
          ErrorCode.SOURCE_SIZE_MISMATCH,
          `source sent more than the ${this.#expected} bytes it announced`,
        ),
      );
      return;
    }
    this.crc = crc32(chunk, this.crc);
    this.#onBytes(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#expected !== null && this.bytes !== this.#expected) {
      callback(
        transientError(
          ErrorCode.SOURCE_SIZE_MISMATCH,
          `source ended after ${this.bytes} of the ${this.#expected} bytes it announced`,
        ),
      );
      return;
    }
    callback();
  }
}
