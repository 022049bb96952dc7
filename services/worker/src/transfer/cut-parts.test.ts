import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cutParts } from './cut-parts.ts';

async function cut(chunks: Buffer[], partSize: number): Promise<Buffer[][]> {
  const parts: Buffer[][] = [];
  for await (const part of cutParts(Readable.from(chunks), partSize)) parts.push(part);
  return parts;
}

describe('cutParts', () => {
  it('cuts a stream into parts of exactly partSize, splitting chunks across boundaries without copying', async () => {
    const data = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    const chunks = [data.subarray(0, 7), data.subarray(7, 8), data.subarray(8)];
    const parts = await cut(chunks, 10);
    expect(parts.map((part) => Buffer.concat(part).toString())).toEqual([
      'abcdefghij',
      'klmnopqrst',
      'uvwxyz',
    ]);
    // The first part ends in a slice of the third chunk: the same memory, not a copy.
    const slice = parts[0]?.at(-1) as Buffer;
    expect(slice.buffer).toBe(data.buffer);
  });

  it('makes no empty last part, and no part at all of an empty stream', async () => {
    expect((await cut([Buffer.alloc(20)], 10)).map((part) => Buffer.concat(part).length)).toEqual([10, 10]);
    expect(await cut([], 10)).toEqual([]);
  });
});
