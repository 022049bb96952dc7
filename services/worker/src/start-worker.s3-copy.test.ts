import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import { pipeline } from 'node:stream';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ErrorCode } from '@ferry/shared';
import { createTestBucket, objectSha256, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Harness } from './testing/harness.ts';
import { listenOnLoopback } from './testing/listen-on-loopback.ts';
import {
  type S3Fault,
  type S3FaultProxy,
  type S3FaultProxyOptions,
  startS3FaultProxy,
} from './testing/s3-fault-proxy.ts';

const MIB = 1024 * 1024;
const SIZE = 23 * MIB + 17; // five 5 MiB parts, the last one short

function version(): { body: Buffer; sha256: string } {
  const body = randomBytes(SIZE);
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
}

/**
 * fauxqs takes at most ~11 MiB per request (RGW has no such cap): sources are written in 5 MiB parts
 * on both servers, which also makes them multipart objects.
 */
async function writeSource(s3: S3Client, bucket: string, key: string, body: Buffer): Promise<void> {
  await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: body },
    partSize: 5 * MIB,
  }).done();
}

/**
 * An HTTP proxy in front of an S3 endpoint that holds the first UploadPartCopy of part `at` until
 * `before()` has run (the source is overwritten there), then passes every request on as it is.
 */
async function startCopyGate(upstream: string, at: number, before: () => Promise<void>) {
  const target = new URL(upstream);
  let held: Promise<void> | null = null;
  const server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const isCopy =
      req.method === 'PUT' && req.headers['x-amz-copy-source'] && query.get('partNumber') === String(at);
    if (isCopy) held ??= before();
    const ready = isCopy ? (held as Promise<void>) : Promise.resolve();
    ready.then(
      () => {
        const headers: IncomingHttpHeaders = { ...req.headers };
        delete headers.expect; // answered already by node's server
        const upstreamRequest = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            pipeline(answer, res, () => {});
          },
        );
        upstreamRequest.on('error', () => res.destroy());
        pipeline(req, upstreamRequest, () => {});
      },
      () => res.destroy(),
    );
  });
  return listenOnLoopback(server);
}

/**
 * Imports an S3 object that is overwritten between the copies of parts 2 and 3 (one part at a time,
 * through a fault proxy that records every request and may refuse some, and the copy gate).
 */
async function importOverwrittenAtPart3(
  harness: Harness,
  sourceBucket: string,
  key: string,
  options: { settings?: Record<string, string>; fault?: S3FaultProxyOptions['fault'] } = {},
) {
  const sourceKey = `changing/${key}`;
  await writeSource(harness.s3, sourceBucket, sourceKey, version().body);
  const next = version();
  const proxy = await startS3FaultProxy({
    upstream: harness.backend.endpoint,
    ...(options.fault ? { fault: options.fault } : {}),
  });
  const gate = await startCopyGate(proxy.url, 3, () =>
    writeSource(harness.s3, sourceBucket, sourceKey, next.body),
  );
  onTestFinished(async () => {
    await gate.close();
    await proxy.close();
  });
  const worker = await harness.startWorker(
    { S3_ENDPOINT: gate.url, PART_SIZE_MIB: '5', PART_CONCURRENCY: '1', ...options.settings },
    { random: () => 0 },
  );
  // Registered last, so it runs first: the worker goes before the proxies it talks through.
  onTestFinished(() => worker.close());
  const id = await harness.submit({ type: 's3', bucket: sourceBucket, key: sourceKey }, key);
  const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
  return { id, record, next, proxy };
}

function copies(proxy: S3FaultProxy, partNumber: number): number[] {
  return proxy.requests
    .filter((r) => r.operation === 'UploadPartCopy' && r.partNumber === partNumber)
    .map((r) => r.status);
}

describe.for(s3Backends())(
  'S3 to S3 import (server-side UploadPartCopy, $label)',
  (backend: S3TestBackend) => {
    let harness: Harness;
    let sourceBucket: string;
    const original = version();

    beforeAll(async () => {
      harness = await Harness.create(backend);
      sourceBucket = await createTestBucket(harness.s3, 'copy-src');
      await writeSource(harness.s3, sourceBucket, 'dir/big object.bin', original.body);
    });

    afterAll(async () => {
      await harness?.close();
    });

    it('copies a multi-part object byte-identical, part by part on the server', async () => {
      const worker = await harness.startWorker({ PART_SIZE_MIB: '5' });
      onTestFinished(() => worker.close());
      const id = await harness.submit(
        { type: 's3', bucket: sourceBucket, key: 'dir/big object.bin' },
        'copied/object.bin',
      );
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error).toBeUndefined();
      expect(record.result).toMatchObject({ size: SIZE, partCount: 5 });
      // Real S3 reports each copied part's CRC-32 (combined into crc32:). Neither server here does:
      // fauxqs's CopyPartResult holds only an ETag, and RGW 16 keeps no CRC-32 for a copied part
      // (none in CopyPartResult, none in ListParts): S3's own ETag is the check.
      expect(record.result?.checksum).toMatch(/^s3-etag:".+-5"$/);
      expect(await objectSha256(harness.s3, harness.bucket, 'copied/object.bin')).toEqual({
        sha256: original.sha256,
        size: SIZE,
      });
      expect(await harness.openUploads()).toEqual([]);
    });

    it('fails with SOURCE_NOT_FOUND for a missing source object and leaves no upload open', async () => {
      const worker = await harness.startWorker({ PART_SIZE_MIB: '5' });
      onTestFinished(() => worker.close());
      const id = await harness.submit({ type: 's3', bucket: sourceBucket, key: 'missing.bin' }, 'never.bin');
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 30_000);
      expect(record.status).toBe('failed');
      expect(record.error?.code).toBe('SOURCE_NOT_FOUND');
      expect(await harness.openUploads()).toEqual([]);
    });

    it('ON_SOURCE_CHANGE=restart (default): a source overwritten mid-copy is imported again whole, in its new version', async () => {
      const { record, next, proxy } = await importOverwrittenAtPart3(harness, sourceBucket, 'restart.bin');
      expect(record.error).toBeUndefined();
      expect(record).toMatchObject({
        status: 'completed',
        attempts: 1,
        result: { size: SIZE, partCount: 5 },
      });
      // Never a mix: every byte is the new version's.
      expect(await objectSha256(harness.s3, harness.bucket, 'restart.bin')).toEqual({
        sha256: next.sha256,
        size: SIZE,
      });
      // Part 3 of the first upload was copied from the changed source without a word (200), then
      // again in the second upload; the first upload was aborted.
      expect(copies(proxy, 3)).toEqual([200, 200]);
      expect(copies(proxy, 5)).toEqual([200, 200]);
      expect(proxy.requests.filter((r) => r.operation === 'CreateMultipartUpload')).toHaveLength(2);
      const aborted = proxy.requests.filter((r) => r.operation === 'AbortMultipartUpload');
      expect(aborted.map((r) => r.status)).toEqual([204]);
      expect(await harness.openUploads()).toEqual([]);
    });

    it('ON_SOURCE_CHANGE=fail: a source overwritten mid-copy fails SOURCE_CHANGED at the check before completing', async () => {
      const { id, record, proxy } = await importOverwrittenAtPart3(harness, sourceBucket, 'fail.bin', {
        settings: { ON_SOURCE_CHANGE: 'fail' },
      });
      expect(record).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: ErrorCode.SOURCE_CHANGED, message: 'source object changed during the import' },
      });
      // Every part was copied (the server refused none); CompleteMultipartUpload was never sent.
      for (const n of [1, 2, 3, 4, 5]) expect(copies(proxy, n)).toEqual([200]);
      expect(proxy.requests.filter((r) => r.operation === 'CompleteMultipartUpload')).toEqual([]);
      expect(await harness.openUploads()).toEqual([]);
      expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
      await expect(
        harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: 'fail.bin' })),
      ).rejects.toMatchObject({ name: 'NotFound' });
    });
  },
);

/** S3's answer to an UploadPartCopy whose x-amz-copy-source-if-match no longer matches the source. */
const PRECONDITION_FAILED: S3Fault = {
  status: 412,
  code: 'PreconditionFailed',
  message: 'At least one of the pre-conditions you specified did not hold',
};

/**
 * Neither test server refuses a changed copy source (both ignore CopySourceIfMatch); AWS S3 does,
 * with 412. Here the fault proxy plays that refusal in front of fauxqs for the first copy of part 3,
 * the one made after the source was overwritten.
 */
describe('a changed copy source refused with 412 PreconditionFailed (fault proxy playing AWS S3 in front of fauxqs)', () => {
  let harness: Harness;
  let sourceBucket: string;

  beforeAll(async () => {
    harness = await Harness.create();
    sourceBucket = await createTestBucket(harness.s3, 'copy-src');
  });

  afterAll(async () => {
    await harness?.close();
  });

  const refuseFirstPart3 = (): S3FaultProxyOptions['fault'] => {
    let refused = false;
    return (r) => {
      if (refused || r.operation !== 'UploadPartCopy' || r.partNumber !== 3) return null;
      refused = true;
      return PRECONDITION_FAILED;
    };
  };

  it('ON_SOURCE_CHANGE=restart (default): stops at the refused part and imports the new version whole', async () => {
    const { record, next, proxy } = await importOverwrittenAtPart3(harness, sourceBucket, 'restart.bin', {
      fault: refuseFirstPart3(),
    });
    expect(record.error).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', attempts: 1, result: { size: SIZE, partCount: 5 } });
    expect(await objectSha256(harness.s3, harness.bucket, 'restart.bin')).toEqual({
      sha256: next.sha256,
      size: SIZE,
    });
    // The refused part ended the first upload: nothing after it was copied there.
    expect(copies(proxy, 3)).toEqual([412, 200]);
    expect(copies(proxy, 4)).toEqual([200]);
    expect(proxy.requests.filter((r) => r.operation === 'CreateMultipartUpload')).toHaveLength(2);
    const aborted = proxy.requests.filter((r) => r.operation === 'AbortMultipartUpload');
    expect(aborted.map((r) => r.status)).toEqual([204]);
    expect(await harness.openUploads()).toEqual([]);
  });

  it('ON_SOURCE_CHANGE=fail: fails SOURCE_CHANGED at the refused part, without retrying it, and leaves no upload', async () => {
    const { id, record, proxy } = await importOverwrittenAtPart3(harness, sourceBucket, 'fail.bin', {
      settings: { ON_SOURCE_CHANGE: 'fail' },
      fault: refuseFirstPart3(),
    });
    expect(record).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: {
        code: ErrorCode.SOURCE_CHANGED,
        message: 'source object changed during the import (UploadPartCopy 3: PreconditionFailed)',
      },
    });
    const copied = proxy.requests.filter((r) => r.operation === 'UploadPartCopy');
    expect(copied.map((r) => [r.partNumber, r.status])).toEqual([
      [1, 200],
      [2, 200],
      [3, 412],
    ]);
    expect(await harness.openUploads()).toEqual([]);
    expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
  });
});
