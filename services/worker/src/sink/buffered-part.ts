import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { type HeldPiece, heldPartStream, type PartStream } from '../bytes/part-stream.ts';
import { partTooLong, partTooShort } from './part-length.ts';

/** A part held whole in memory, with the checksums a request must carry before its body. */
export interface BufferedPart {
  crc32: number;
  md5: Buffer;
  /** The part's pieces again, each released once written: the body of the request. */
  replay(): PartStream;
}

/**
 * Reads a part to its end before anything is sent: for S3 servers that verify only checksums sent
 * up front (Content-MD5, x-amz-checksum-crc32), which must be known before the first byte goes.
 * The pieces stay in the buffers the source read them into (the part's lease must hold the whole
 * part) and are handed on, not copied. Fails like the streamed body does on a short or long source.
 */
export function bufferPart(
  stream: PartStream,
  length: number,
  hooks: { onBytes?: (count: number) => void; onChunk?: (chunk: Buffer) => void },
  signal: AbortSignal,
): Promise<BufferedPart> {
  const pieces: HeldPiece[] = [];
  const md5 = createHash('md5');
  let crc = 0;
  let bytes = 0;
  const releaseAll = () => {
    for (const piece of pieces.splice(0)) piece.release();
  };
  return new Promise<BufferedPart>((resolve, reject) => {
    const fail = (error: Error) => {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
      releaseAll();
      reject(error);
    };
    const onAbort = () => fail(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.start({
      piece: (chunk, release) => {
        pieces.push({ chunk, release });
        bytes += chunk.length;
        if (bytes > length) {
          fail(partTooLong(length));
          return;
        }
        crc = crc32(chunk, crc);
        md5.update(chunk);
        hooks.onChunk?.(chunk);
        hooks.onBytes?.(chunk.length);
      },
      end: () => {
        if (bytes !== length) {
          fail(partTooShort(bytes, length));
          return;
        }
        signal.removeEventListener('abort', onAbort);
        resolve({ crc32: crc, md5: md5.digest(), replay: () => heldPartStream(pieces) });
      },
      error: fail,
    });
  });
}
