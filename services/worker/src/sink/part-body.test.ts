import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ErrorCode } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { readablePartStream } from '../bytes/part-stream.ts';
import { ChunkSigner, type SigningContext } from './chunk-signer.ts';
import { crc32Base64 } from './crc32-base64.ts';
import { awsChunkedLength, type Framing, PartBody, signedChunkedLength } from './part-body.ts';

/** A request stand-in: collects what is written, with a small buffer so backpressure happens. */
class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  error: Error | null = null;
  constructor() {
    super({ highWaterMark: 16 * 1024 });
    this.on('error', (error) => {
      this.error = error;
    });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    setImmediate(callback);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const SIGNING: SigningContext = {
  signingKey: Buffer.alloc(32, 7),
  amzDate: '20261202T000000Z',
  scope: '20261202/us-east-1/s3/aws4_request',
  seed: 'a'.repeat(64),
};

function send(pieces: Buffer[], length: number, chunkSize = 64 * 1024, framing: Framing = 'aws-chunked') {
  const body = new PartBody(readablePartStream(Readable.from(pieces)), length, {
    framing,
    chunkSize,
    md5: true,
  });
  if (framing === 'aws-chunked-signed') body.useSigner(new ChunkSigner(SIGNING));
  const dest = new Collector();
  const finished = new Promise<void>((resolve) => {
    dest.on('finish', resolve);
    dest.on('close', resolve);
  });
  body.pipe(dest);
  return { body, dest, finished };
}

/** Splits an aws-chunked body into its chunk sizes, payload and trailer lines. */
function decode(wire: Buffer) {
  const sizes: number[] = [];
  const payload: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = wire.indexOf('\r\n', at);
    const size = Number.parseInt(wire.toString('latin1', at, lineEnd), 16);
    at = lineEnd + 2;
    sizes.push(size);
    if (size === 0) break;
    payload.push(wire.subarray(at, at + size));
    expect(wire.toString('latin1', at + size, at + size + 2)).toBe('\r\n');
    at += size + 2;
  }
  return { sizes, payload: Buffer.concat(payload), trailer: wire.toString('latin1', at) };
}

describe('PartBody', () => {
  it('frames the payload in fixed chunks with the CRC-32 trailer, exactly as long as announced', async () => {
    const data = randomBytes(200 * 1024 + 7);
    // Pieces that straddle chunk boundaries, as socket reads do.
    const pieces = [data.subarray(0, 1000), data.subarray(1000, 150_000), data.subarray(150_000)];
    const { body, dest, finished } = send(pieces, data.length);
    await finished;
    const wire = dest.bytes;
    expect(wire.length).toBe(body.encodedLength);
    expect(body.encodedLength).toBe(awsChunkedLength(data.length, 64 * 1024));
    const { sizes, payload, trailer } = decode(wire);
    expect(sizes).toEqual([65_536, 65_536, 65_536, 8_199, 0]);
    expect(payload).toEqual(data);
    expect(trailer).toBe(`x-amz-checksum-crc32:${crc32Base64(crc32(data))}\r\n\r\n`);
    expect(body.crc).toBe(crc32(data));
    expect(body.failure).toBeNull();
  });

  it('sends the bytes as they are without framing, with their CRC-32 and MD5 from the same pass', async () => {
    const data = randomBytes(300 * 1024 + 3);
    const { body, dest, finished } = send(
      [data.subarray(0, 5000), data.subarray(5000)],
      data.length,
      64 * 1024,
      'identity',
    );
    await finished;
    expect(body.encodedLength).toBe(data.length);
    expect(dest.bytes).toEqual(data);
    expect(body.crc).toBe(crc32(data));
    expect(body.md5Hex()).toBe(createHash('md5').update(data).digest('hex'));
  });

  it('signs every chunk, chained from the seed, and is exactly as long as announced', async () => {
    const data = randomBytes(150 * 1024 + 11);
    const pieces = [data.subarray(0, 1000), data.subarray(1000, 100_000), data.subarray(100_000)];
    const { body, dest, finished } = send(pieces, data.length, 64 * 1024, 'aws-chunked-signed');
    await finished;
    const wire = dest.bytes;
    expect(wire.length).toBe(body.encodedLength);
    expect(body.encodedLength).toBe(signedChunkedLength(data.length, 64 * 1024));
    // Each chunk: `<hex size>;chunk-signature=<sig>\r\n<bytes>\r\n`, the last of size 0.
    const check = new ChunkSigner(SIGNING);
    const payload: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = wire.indexOf('\r\n', at);
      const [hex = '', signature = ''] = wire.toString('latin1', at, lineEnd).split(';chunk-signature=');
      const size = Number.parseInt(hex, 16);
      const bytes = wire.subarray(lineEnd + 2, lineEnd + 2 + size);
      expect(signature).toBe(
        size === 0 ? check.sign() : check.sign(createHash('sha256').update(bytes).digest('hex')),
      );
      at = lineEnd + 2 + size + 2;
      if (size === 0) break;
      payload.push(bytes);
    }
    expect(at).toBe(wire.length);
    expect(Buffer.concat(payload)).toEqual(data);
    expect(body.crc).toBe(crc32(data));
  });

  it('counts an exact multiple of the chunk size, and a 1-byte body, right', async () => {
    for (const size of [128 * 1024, 1]) {
      const data = randomBytes(size);
      const { body, dest, finished } = send([data], size);
      await finished;
      expect(dest.bytes.length).toBe(body.encodedLength);
      expect(decode(dest.bytes).payload).toEqual(data);
    }
  });

  it('fails a source that sends fewer or more bytes than the part, cutting the request off', async () => {
    const short = send([randomBytes(1000)], 1001);
    await short.finished;
    expect(short.body.failure).toMatchObject({ code: ErrorCode.SOURCE_SIZE_MISMATCH, retryable: true });
    expect(short.dest.destroyed).toBe(true);
    expect(short.dest.bytes.toString('latin1')).not.toContain('x-amz-checksum-crc32');

    const long = send([randomBytes(1000), randomBytes(10)], 1005);
    await long.finished;
    expect(long.body.failure).toMatchObject({ code: ErrorCode.SOURCE_SIZE_MISMATCH, retryable: true });
    expect(long.dest.destroyed).toBe(true);
  });

  it('passes a source failure on as the body failure', async () => {
    const source = new Readable({ read() {} });
    const body = new PartBody(readablePartStream(source), 100, { framing: 'aws-chunked' });
    const dest = new Collector();
    body.pipe(dest);
    source.push(Buffer.alloc(10));
    source.destroy(new Error('connection reset'));
    await new Promise((resolve) => dest.on('close', resolve));
    expect(body.failure?.message).toBe('connection reset');
  });

  it('says the source ended only once it did: every byte of the part, then a failure, is a failure', async () => {
    const whole = send([randomBytes(1000)], 1000, 64 * 1024, 'identity');
    await expect(whole.body.sourceEnded()).resolves.toBeUndefined();

    // Every byte of the part, then the answer breaks off (a chunked body without its last chunk).
    const source = new Readable({ read() {} });
    const body = new PartBody(readablePartStream(source), 100, { framing: 'identity' });
    body.pipe(new Collector());
    source.push(Buffer.alloc(100));
    source.destroy(new Error('connection closed before the body ended'));
    await expect(body.sourceEnded()).rejects.toThrow('connection closed before the body ended');
  });
});
