import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { onCleanup } from './processes.ts';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

export interface SourceFile {
  /** Name under the source server's root: the URL path. */
  name: string;
  path: string;
  size: number;
  /** CRC-32 of the whole file, to compare with the worker's result and with what the sink holds. */
  crc32: number;
}

const BLOCK = 64 * MIB;

/**
 * A file of `size` bytes that neither compresses nor repeats at part granularity, made in seconds:
 * one 64 MiB random block written over and over, each MiB of each copy stamped with its own
 * offset so that no two parts of any size ≥ 1 MiB are equal. Sparse or zero files would let the
 * disk and page cache cheat. The file is kept (a .crc32 sidecar, written last, marks it complete)
 * and reused by later runs.
 */
export async function ensureSourceFile(
  dir: string,
  size: number,
  log: (line: string) => void,
): Promise<SourceFile> {
  const name = `random-${size % MIB === 0 ? `${size / MIB}MiB` : `${size}B`}.bin`;
  const path = join(dir, name);
  const sidecar = `${path}.crc32`;
  try {
    return { name, path, size, crc32: Number.parseInt(await readFile(sidecar, 'utf8'), 16) };
  } catch {
    // Not made yet, or a run was interrupted while making it.
  }
  log(`generating ${name} under ${dir} (once; later runs reuse it)`);
  const partial = `${path}.tmp`;
  // A run interrupted here must not leave gigabytes behind.
  onCleanup(() => rm(partial, { force: true }));
  const block = randomBytes(BLOCK);
  const file = await open(partial, 'w');
  let crc = 0;
  try {
    for (let offset = 0; offset < size; offset += BLOCK) {
      for (let mib = 0; mib < BLOCK; mib += MIB) block.writeDoubleBE(offset + mib, mib);
      const chunk = block.subarray(0, Math.min(BLOCK, size - offset));
      crc = crc32(chunk, crc);
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }
  await rename(partial, path);
  await writeFile(sidecar, (crc >>> 0).toString(16));
  return { name, path, size, crc32: crc >>> 0 };
}

export async function removeSourceFile(file: SourceFile): Promise<void> {
  await rm(file.path, { force: true });
  await rm(`${file.path}.crc32`, { force: true });
}

/** Reads the file once so the first tool to run does not pay for the disk and the second not. */
export async function warmPageCache(file: SourceFile): Promise<void> {
  for await (const _ of createReadStream(file.path, { highWaterMark: 4 * MIB })) {
    // Reading is the point.
  }
}

/** CRC-32 of a stream, to check an object read back from a sink. */
export async function crc32OfStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ crc32: number; size: number }> {
  let crc = 0;
  let size = 0;
  for await (const chunk of stream) {
    crc = crc32(chunk, crc);
    size += chunk.byteLength;
  }
  return { crc32: crc >>> 0, size };
}
