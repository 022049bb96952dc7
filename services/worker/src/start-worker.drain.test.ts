import { objectSha256, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Harness } from './testing/harness.ts';
import { startThrottledFile, type ThrottledFile } from './testing/throttled-file.ts';

const MIB = 1024 * 1024;

describe.for(s3Backends())('graceful drain (close / SIGTERM) into $label', (backend: S3TestBackend) => {
  let harness: Harness;
  let slow: ThrottledFile;

  beforeAll(async () => {
    harness = await Harness.create(backend);
    slow = await startThrottledFile(48 * MIB, 8 * MIB);
  });

  afterAll(async () => {
    await harness?.close();
    await slow?.close();
  });

  it('hands a running job back with its checkpoint; the next worker fetches only the missing parts', async () => {
    slow.proxy.bytesPerSecond = 8 * MIB; // about a second per 8 MiB part
    const first = await harness.startWorker({
      PART_SIZE_MIB: '8',
      PART_CONCURRENCY: '2',
      DRAIN_TIMEOUT_S: '30',
    });
    onTestFinished(() => first.close());
    const id = await harness.submit({ type: 'http', url: slow.url }, 'drained.bin');
    await harness.waitForCheckpointedParts(id, 1, { timeoutMs: 20_000 });

    await first.close();

    const job = await harness.queue.getJob(id);
    expect(['waiting', 'delayed']).toContain(await job?.getState());
    expect(job?.attemptsMade).toBe(0);
    expect((await harness.store.get(id))?.status).toBe('queued');
    const checkpoint = await harness.checkpoints.load(id);
    const finished = checkpoint?.parts.size ?? 0;
    // The parts in flight at close() were finished and recorded, not thrown away.
    expect(finished).toBeGreaterThanOrEqual(2);
    expect(finished).toBeLessThan(6);
    expect(await harness.openUploads()).toHaveLength(1);

    slow.proxy.bytesPerSecond = Number.POSITIVE_INFINITY;
    const rangedBefore = slow.proxy.requests.filter((r) => r.range).length;
    const second = await harness.startWorker({ PART_SIZE_MIB: '8' });
    onTestFinished(() => second.close());
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 30_000);
    expect(record.error).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', attempts: 1 });
    expect(record.result?.partCount).toBe(6);
    expect(await objectSha256(harness.s3, harness.bucket, 'drained.bin')).toEqual({
      sha256: slow.file.sha256,
      size: 48 * MIB,
    });
    const rangedAfter = slow.proxy.requests.filter((r) => r.range).length;
    expect(rangedAfter - rangedBefore).toBe(6 - finished);
    expect(await harness.openUploads()).toEqual([]);
  });

  it('aborts parts still in flight at the drain deadline and still hands the job back in time', async () => {
    slow.proxy.bytesPerSecond = 1 * MIB; // 8 s per part: none finishes before the deadline
    const worker = await harness.startWorker({
      PART_SIZE_MIB: '8',
      PART_CONCURRENCY: '2',
      DRAIN_TIMEOUT_S: '3',
    });
    // close() is the test's subject; this one only covers a test that fails before it.
    onTestFinished(() => worker.close());
    const id = await harness.submit({ type: 'http', url: slow.url }, 'deadline.bin');
    await harness.waitFor(id, (record) => record.status === 'running' && record.bytesDone > 0, 20_000);

    const closeStarted = Date.now();
    await worker.close();
    expect(Date.now() - closeStarted).toBeLessThan(3000);

    const job = await harness.queue.getJob(id);
    expect(['waiting', 'delayed']).toContain(await job?.getState());
    expect(job?.attemptsMade).toBe(0);
    const record = await harness.store.get(id);
    expect(record?.status).toBe('queued');
    expect(record?.error).toBeUndefined();
    // The upload stays open for the next worker, which the checkpoint names.
    expect((await harness.checkpoints.load(id))?.uploadId).toBeTruthy();
  });
});
