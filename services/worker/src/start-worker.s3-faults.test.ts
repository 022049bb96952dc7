import { objectSha256, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Harness } from './testing/harness.ts';
import {
  INTERNAL_ERROR,
  type S3Fault,
  type S3FaultProxy,
  type S3ProxyRequest,
  SLOW_DOWN,
  startS3FaultProxy,
} from './testing/s3-fault-proxy.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const MIB = 1024 * 1024;

describe.for(s3Backends())(
  'S3 faults on UploadPart (fault-injecting proxy in front of $label)',
  (backend: S3TestBackend) => {
    let harness: Harness;
    let served: ServedFile;
    const proxies: S3FaultProxy[] = [];

    beforeAll(async () => {
      harness = await Harness.create(backend);
      served = await startServedFile(25 * MIB); // five 5 MiB parts
    });

    afterAll(async () => {
      await harness?.close();
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await served?.close();
    });

    const workerBehind = async (
      fault: (request: S3ProxyRequest) => S3Fault | null,
      loseAnswer?: (request: S3ProxyRequest) => S3Fault | null,
    ) => {
      const proxy = await startS3FaultProxy({
        upstream: backend.endpoint,
        fault,
        ...(loseAnswer ? { loseAnswer } : {}),
      });
      proxies.push(proxy);
      // random 0: retries without backoff sleeps, so the test does not wait on jitter.
      const worker = await harness.startWorker(
        { S3_ENDPOINT: proxy.url, PART_SIZE_MIB: '5', PART_CONCURRENCY: '2' },
        { random: () => 0 },
      );
      onTestFinished(() => worker.close());
      return { proxy, worker };
    };

    const rangedGets = () => served.source.requests.filter((r) => r.method === 'GET' && r.range).length;

    it('retries the parts S3 refused with 500 InternalError and 503 SlowDown; the object is byte-identical', async () => {
      const { proxy } = await workerBehind((request) => {
        if (request.operation !== 'UploadPart' || request.attempt !== 1) return null;
        if (request.partNumber === 2) return INTERNAL_ERROR;
        if (request.partNumber === 4) return SLOW_DOWN;
        return null;
      });
      const gets = rangedGets();
      const id = await harness.submit({ type: 'http', url: served.url }, 'faulted.bin');
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error).toBeUndefined();
      expect(record).toMatchObject({ status: 'completed', attempts: 1 });
      expect(await objectSha256(harness.s3, harness.bucket, 'faulted.bin')).toEqual({
        sha256: served.file.sha256,
        size: 25 * MIB,
      });

      const parts = proxy.requests.filter((r) => r.operation === 'UploadPart');
      const tries = (n: number) => parts.filter((r) => r.partNumber === n).map((r) => r.status);
      expect(tries(2)).toEqual([500, 200]);
      expect(tries(4)).toEqual([503, 200]);
      for (const n of [1, 3, 5]) expect(tries(n)).toEqual([200]);
      // A refused part is read from the source again: the bytes were never kept in memory.
      expect(rangedGets() - gets).toBe(5 + 2);
      expect(await harness.openUploads()).toEqual([]);
    });

    it('fails with DESTINATION_ERROR when S3 refuses every part, and leaves no multipart upload open', async () => {
      const { proxy } = await workerBehind((request) =>
        request.operation === 'UploadPart' ? INTERNAL_ERROR : null,
      );
      const id = await harness.submit({ type: 'http', url: served.url }, 'refused.bin', {
        attempts: 2,
        backoff: { type: 'fixed', delay: 100 },
      });
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record).toMatchObject({
        status: 'failed',
        attempts: 2,
        error: {
          code: 'DESTINATION_ERROR',
          message: expect.stringMatching(/^S3 UploadPart \d+ failed: InternalError/),
        },
      });
      expect(await harness.waitForJobState(id, ['failed'])).toBe('failed');
      // Both attempts used the same upload; the last one aborted it.
      const created = proxy.requests.filter((r) => r.operation === 'CreateMultipartUpload');
      expect(created).toHaveLength(1);
      const aborted = proxy.requests.filter((r) => r.operation === 'AbortMultipartUpload');
      expect(aborted.map((r) => r.status)).toEqual([204]);
      expect(await harness.openUploads()).toEqual([]);
      expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
    });

    it('finishes an import whose CompleteMultipartUpload S3 carried out but whose answer was lost, moving no part again', async () => {
      const { proxy } = await workerBehind(
        () => null,
        (request) =>
          request.operation === 'CompleteMultipartUpload' && request.attempt === 1 ? INTERNAL_ERROR : null,
      );
      const gets = rangedGets();
      const id = await harness.submit({ type: 'http', url: served.url }, 'answer-lost.bin');
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error).toBeUndefined();
      expect(record).toMatchObject({ status: 'completed', attempts: 1, result: { partCount: 5 } });
      expect(await objectSha256(harness.s3, harness.bucket, 'answer-lost.bin')).toEqual({
        sha256: served.file.sha256,
        size: 25 * MIB,
      });
      // S3 completed on the first try. Asked again, fauxqs no longer knows the upload (404), and the
      // object it holds was recognised as that completion by its ETag; RGW remembers which upload made
      // the object and answers the repeated Complete with 200 as if it were the first.
      const completes = proxy.requests.filter((r) => r.operation === 'CompleteMultipartUpload');
      expect(completes.map((r) => [r.status, r.fault])).toEqual([
        [200, 'lost'],
        [backend.name === 'radosgw' ? 200 : 404, undefined],
      ]);
      expect(record.result?.etag).toMatch(/-5"$/);
      expect(proxy.requests.filter((r) => r.operation === 'CreateMultipartUpload')).toHaveLength(1);
      expect(proxy.requests.filter((r) => r.operation === 'UploadPart')).toHaveLength(5);
      expect(rangedGets() - gets).toBe(5);
      expect(await harness.openUploads()).toEqual([]);
      expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
    });
  },
);
