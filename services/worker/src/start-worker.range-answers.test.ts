import { readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { startFileSource } from '@ferry/local-stack';
import { ErrorCode } from '@ferry/shared';
import { objectSha256, randomFile } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32Base64 } from './sink/crc32-base64.ts';
import { Harness } from './testing/harness.ts';

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const SIZE = 3 * PART;
const PART_2 = `bytes=${PART}-${2 * PART - 1}`;

type BadAnswer =
  | 'cut-short'
  | 'short-content-length'
  | 'long-content-length'
  | 'chunked-short'
  | 'chunked-long';

/** Answers a ranged GET for `bytes` of a SIZE-byte file wrongly, in the way `how` says. */
function answerBadly(how: BadAnswer, req: IncomingMessage, res: ServerResponse, bytes: Buffer): void {
  const start = `HTTP/1.1 206 Partial Content\r\nContent-Range: ${req.headers.range?.replace('=', ' ')}/${SIZE}\r\nETag: ${res.getHeader('etag')}\r\n`;
  const head = (length: number) => `${start}Content-Length: ${length}\r\n\r\n`;
  // No length up front: the only way to tell is to count what arrives.
  const chunked = (body: Buffer) =>
    Buffer.concat([
      Buffer.from(`${start}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
  const socket = req.socket;
  switch (how) {
    case 'cut-short':
      // Announces the whole part, sends half, and closes.
      socket.end(Buffer.concat([Buffer.from(head(bytes.length)), bytes.subarray(0, bytes.length / 2)]));
      return;
    case 'short-content-length':
      socket.write(Buffer.concat([Buffer.from(head(bytes.length / 2)), bytes.subarray(0, bytes.length / 2)]));
      return;
    case 'long-content-length':
      socket.write(Buffer.concat([Buffer.from(head(bytes.length + 100)), bytes, Buffer.alloc(100)]));
      return;
    case 'chunked-short':
      socket.write(chunked(bytes.subarray(0, bytes.length - 1)));
      return;
    case 'chunked-long':
      socket.write(chunked(Buffer.concat([bytes, Buffer.alloc(100, 7)])));
      return;
  }
}

describe('range answers shorter or longer than asked (real HTTP origin, real S3 server)', () => {
  const file = randomFile(SIZE);
  const bytes = readFileSync(join(file.dir, file.name));
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;
  let badAnswer: BadAnswer | null = null;
  let statedCrc32: string | null = null;

  beforeAll(async () => {
    harness = await Harness.create();
    source = await startFileSource({
      root: file.dir,
      intercept: (req, res) => {
        res.setHeader('ETag', '"v1"');
        if (statedCrc32 && req.method === 'HEAD') res.setHeader('x-amz-checksum-crc32', statedCrc32);
        if (req.headers.range !== PART_2 || !badAnswer) return false;
        const how = badAnswer;
        badAnswer = null;
        answerBadly(how, req, res, bytes.subarray(PART, 2 * PART));
        return true;
      },
    });
    // Small fixed jitter: a part's retry comes 0.1 s later.
    await harness.startWorker({ PART_SIZE_MIB: '5' }, { random: () => 0.2 });
  });

  afterAll(async () => {
    await harness?.close();
    source?.server.closeAllConnections();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  for (const how of [
    'cut-short',
    'short-content-length',
    'long-content-length',
    'chunked-short',
    'chunked-long',
  ] as const) {
    it(`retries a part answered ${how} and ends byte-identical`, async () => {
      badAnswer = how;
      const before = source.requests.length;
      const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, `${how}.bin`);
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error).toBeUndefined();
      expect(record).toMatchObject({ status: 'completed', attempts: 1 });
      expect(badAnswer).toBeNull();
      expect(source.requests.slice(before).filter((request) => request.range === PART_2)).toHaveLength(2);
      expect(await objectSha256(harness.s3, harness.bucket, `${how}.bin`)).toEqual({
        sha256: file.sha256,
        size: SIZE,
      });
      expect(await harness.openUploads()).toEqual([]);
    });
  }

  it("checks the whole object's CRC-32 against the one the source states", async () => {
    statedCrc32 = crc32Base64(crc32(bytes));
    const agreed = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, 'agreed.bin');
    expect(await harness.waitForStatus(agreed, ['completed', 'failed'], 60_000)).toMatchObject({
      status: 'completed',
    });

    statedCrc32 = crc32Base64(crc32(bytes) ^ 1);
    try {
      const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, 'disagreed.bin');
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error).toMatchObject({ code: ErrorCode.CHECKSUM_MISMATCH, attempts: 1 });
      expect(await harness.openUploads()).toEqual([]);
    } finally {
      statedCrc32 = null;
    }
  });
});

describe('WORKER_MEMORY_BUDGET_MIB', () => {
  const file = randomFile(6 * PART);
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;
  let inFlight = 0;
  let mostInFlight = 0;

  beforeAll(async () => {
    harness = await Harness.create();
    source = await startFileSource({
      root: file.dir,
      intercept: (req, res) => {
        if (!req.headers.range) return false;
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        res.on('close', () => inFlight--);
        return false;
      },
    });
    // Room for one part's 1 MiB window: the four lanes take turns instead of piling up.
    await harness.startWorker({ PART_SIZE_MIB: '5', PART_CONCURRENCY: '4', WORKER_MEMORY_BUDGET_MIB: '1' });
  });

  afterAll(async () => {
    await harness?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it('makes parts wait for budget: one part in flight at a time, and the import completes', async () => {
    const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, 'budgeted.bin');
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    expect(await objectSha256(harness.s3, harness.bucket, 'budgeted.bin')).toEqual({
      sha256: file.sha256,
      size: 6 * PART,
    });
    expect(mostInFlight).toBe(1);
  });
});
