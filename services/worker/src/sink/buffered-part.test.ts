import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ErrorCode } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { readablePartStream } from '../bytes/part-stream.ts';
import { readPartStream } from '../testing/read-part-stream.ts';
import { bufferPart } from './buffered-part.ts';

const signal = () => new AbortController().signal;

describe('bufferPart', () => {
  it('reads the part whole, with its CRC-32 and MD5, and replays the same pieces', async () => {
    const data = randomBytes(100_000);
    const chunks = [data.subarray(0, 30_000), data.subarray(30_000)];
    let seen = 0;
    const part = await bufferPart(
      readablePartStream(Readable.from(chunks)),
      data.length,
      { onBytes: (n) => (seen += n) },
      signal(),
    );
    expect(seen).toBe(data.length);
    expect(part.crc32).toBe(crc32(data));
    expect(part.md5).toEqual(createHash('md5').update(data).digest());
    expect(await readPartStream(part.replay())).toEqual(data);
  });

  it('fails a source that sends fewer or more bytes than the part', async () => {
    const short = bufferPart(readablePartStream(Readable.from([randomBytes(10)])), 11, {}, signal());
    await expect(short).rejects.toMatchObject({ code: ErrorCode.SOURCE_SIZE_MISMATCH, retryable: true });
    const long = bufferPart(readablePartStream(Readable.from([randomBytes(12)])), 11, {}, signal());
    await expect(long).rejects.toMatchObject({ code: ErrorCode.SOURCE_SIZE_MISMATCH, retryable: true });
  });

  it('stops reading and gives its pieces back when aborted', async () => {
    const source = new Readable({ read() {} });
    const controller = new AbortController();
    const reading = bufferPart(readablePartStream(source), 100, {}, controller.signal);
    source.push(Buffer.alloc(10));
    controller.abort(new Error('canceled'));
    await expect(reading).rejects.toThrow('canceled');
    expect(source.destroyed).toBe(true);
  });
});
