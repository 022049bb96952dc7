import { createReadStream } from 'node:fs';
import { EmulatorError } from './emulator-error.ts';

/**
 * Bytes made on demand, the same every time: for runs with more and larger files than any disk or
 * RAM here holds (the bench's chaos run: 200 files of 256 MiB to 5 GiB).
 */
export interface GeneratedContent {
  size: number;
  /** Bytes start..end (inclusive, within the content) in chunks of at most `chunkSize`. */
  chunks(start: number, end: number, chunkSize: number): Iterable<Buffer>;
}

/**
 * A file's bytes: held in memory, read from disk on every request so a 1 GiB source does not sit
 * in RAM, or generated. The emulator keeps the Buffer it is given; callers must not change it.
 */
export type EmulatorContent = Buffer | { file: string } | { generated: GeneratedContent };

const SCAN_CHUNK = 4 * 1024 * 1024;

export function assertContent(content: unknown, field: string): asserts content is EmulatorContent {
  if (Buffer.isBuffer(content)) return;
  if (typeof content === 'object' && content !== null) {
    if (typeof (content as { file?: unknown }).file === 'string') return;
    const generated = (content as { generated?: Partial<GeneratedContent> }).generated;
    if (Number.isSafeInteger(generated?.size) && typeof generated?.chunks === 'function') return;
  }
  throw new EmulatorError(
    'EMULATOR_BAD_INPUT',
    `${field} must be a Buffer, { file: string } or { generated: { size, chunks } }`,
  );
}

/** Reads the whole content once, handing each chunk to `onChunk`; answers its size in bytes. */
export async function scanContent(
  content: EmulatorContent,
  onChunk: (chunk: Buffer) => void,
): Promise<number> {
  let size = 0;
  for await (const chunk of contentChunks(content, 0, Number.POSITIVE_INFINITY, SCAN_CHUNK)) {
    onChunk(chunk);
    size += chunk.length;
  }
  return size;
}

/** Bytes start..end (inclusive, clipped to the content) in chunks of at most `chunkSize`. */
export async function* contentChunks(
  content: EmulatorContent,
  start: number,
  end: number,
  chunkSize: number,
): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(content)) {
    const stop = Math.min(end + 1, content.length);
    for (let offset = start; offset < stop; offset += chunkSize) {
      yield content.subarray(offset, Math.min(offset + chunkSize, stop));
    }
    return;
  }
  if ('generated' in content) {
    const stop = Math.min(end, content.generated.size - 1);
    if (start <= stop) yield* content.generated.chunks(start, stop, chunkSize);
    return;
  }
  const stream = createReadStream(content.file, {
    start,
    end: Number.isFinite(end) ? end : undefined,
    highWaterMark: chunkSize,
  });
  for await (const chunk of stream) yield chunk as Buffer;
}
