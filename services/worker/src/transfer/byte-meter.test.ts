import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { ErrorCode } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { ByteMeter } from './byte-meter.ts';

async function run(chunks: Buffer[], expected: number | null): Promise<ByteMeter> {
  const meter = new ByteMeter(expected);
  await pipeline(Readable.from(chunks), meter, async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source) {
      // drain
    }
  });
  return meter;
}

describe('ByteMeter', () => {
  const data = [Buffer.from('hello '), Buffer.from('world')];

  it('counts bytes and computes the CRC-32 of what passes', async () => {
    const meter = await run(data, 11);
    expect(meter.bytes).toBe(11);
    expect(meter.crc).toBe(crc32(Buffer.from('hello world')));
    expect((await run(data, null)).bytes).toBe(11);
  });

  it('fails a short answer and a long one with a retryable SOURCE_SIZE_MISMATCH', async () => {
    await expect(run(data, 12)).rejects.toMatchObject({
      code: ErrorCode.SOURCE_SIZE_MISMATCH,
      retryable: true,
    });
    await expect(run(data, 10)).rejects.toMatchObject({
      code: ErrorCode.SOURCE_SIZE_MISMATCH,
      retryable: true,
    });
  });
});
