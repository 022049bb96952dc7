import { createCipheriv, createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { GeneratedContent } from '@ferry/test-support';

const AES_BLOCK = 16;
const SCAN_CHUNK = 4 * 1024 * 1024;

/**
 * A file that exists only as a name and a size: its bytes are the AES-128-CTR keystream under a key
 * derived from the name, so any range can be made on demand at GB/s, no two files share bytes, and
 * nothing is compressible or repeats. The chaos run's 200 sources of 256 MiB to 5 GiB live on no disk.
 */
export class GeneratedFile implements GeneratedContent {
  readonly name: string;
  readonly size: number;
  readonly #key: Buffer;

  constructor(name: string, size: number) {
    this.name = name;
    this.size = size;
    this.#key = createHash('sha256').update(name).digest().subarray(0, 16);
  }

  *chunks(start: number, end: number, chunkSize: number): Iterable<Buffer> {
    const stop = Math.min(end, this.size - 1);
    if (start > stop) return;
    // CTR's counter is the block number: the keystream can start at any block.
    const iv = Buffer.alloc(AES_BLOCK);
    iv.writeBigUInt64BE(BigInt(Math.floor(start / AES_BLOCK)), 8);
    const cipher = createCipheriv('aes-128-ctr', this.#key, iv);
    const zeros = Buffer.alloc(Math.min(chunkSize, stop - start + 1 + AES_BLOCK));
    cipher.update(zeros.subarray(0, start % AES_BLOCK));
    for (let offset = start; offset <= stop; ) {
      const length = Math.min(zeros.length, stop - offset + 1);
      yield cipher.update(zeros.subarray(0, length));
      offset += length;
    }
  }

  /** The whole file's CRC-32, what the sink's CRC of the object must equal (one pass, ~GB/s). */
  crc32(): number {
    let crc = 0;
    for (const chunk of this.chunks(0, this.size - 1, SCAN_CHUNK)) crc = crc32(chunk, crc);
    return crc >>> 0;
  }
}
