import type { Readable } from 'node:stream';

/**
 * The stream's bytes as consecutive parts of exactly `partSize` bytes (the last one shorter, never
 * empty), each the list of the stream's own chunks that make it: a chunk that straddles a boundary
 * is split by reference, nothing is copied. The stream is read only as fast as parts are taken.
 */
export async function* cutParts(stream: Readable, partSize: number): AsyncGenerator<Buffer[]> {
  let part: Buffer[] = [];
  let filled = 0;
  for await (const data of stream) {
    let chunk = data as Buffer;
    while (chunk.length > 0) {
      const take = Math.min(partSize - filled, chunk.length);
      part.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      filled += take;
      chunk = chunk.subarray(take);
      if (filled === partSize) {
        yield part;
        part = [];
        filled = 0;
      }
    }
  }
  if (filled > 0) yield part;
}
