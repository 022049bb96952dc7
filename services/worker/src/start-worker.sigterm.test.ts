import { objectSha256, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { startThrottledFile, type ThrottledFile } from './testing/throttled-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const SIZE = 40 * MIB;
const PART = 5 * MIB;
const PARTS = SIZE / PART;

const partOf = (range: string | undefined): number =>
  Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1]) / PART + 1;

describe.for(s3Backends())('SIGTERM hand-back, real worker processes, $label', (backend) => {
  let harness: Harness;
  let slow: ThrottledFile;
  const processes: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create(backend);
    slow = await startThrottledFile(SIZE, 2 * MIB);
  });

  afterAll(async () => {
    await Promise.all(processes.map((worker) => worker.stop()));
    await harness?.close();
    await slow?.close();
  });

  const spawnWorker = async (): Promise<WorkerProcess> => {
    // DRAIN_TIMEOUT_S and JOB_LOCK_MS at their production defaults: the hand-back needs neither.
    const worker = spawnWorkerProcess(harness.env({ PART_SIZE_MIB: '5', PART_CONCURRENCY: '2' }));
    processes.push(worker);
    await worker.ready;
    return worker;
  };

  it('exits 0 promptly, puts the job straight back in the queue, and the next process finishes it', async () => {
    const first = await spawnWorker();
    const id = await harness.submit({ type: 'http', url: slow.url }, 'handed-back.bin');
    await harness.waitForCheckpointedParts(id, 2, {
      inFlight: { partSize: PART, bytes: 1 },
    });
    const beforeTerm = (await harness.checkpoints.load(id))?.parts.size ?? 0;

    const termAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const exitMs = Date.now() - termAt;
    // Parts in flight (2 MiB/s, 5 MiB parts) get to finish; the exit must come well inside ECS's 120 s.
    expect(exitMs).toBeLessThan(30_000);
    expect(first.logged('import handed back to the queue')).toHaveLength(1);

    // At once, without waiting for stall detection: queued again, no attempt used.
    const job = await harness.queue.getJob(id);
    expect(['waiting', 'delayed']).toContain(await job?.getState());
    expect(job?.attemptsMade).toBe(0);
    const handedBack = await harness.store.get(id);
    expect(handedBack).toMatchObject({ status: 'queued' });
    expect(handedBack?.error).toBeUndefined();
    const checkpoint = await harness.checkpoints.load(id);
    const finished = new Set(checkpoint?.parts.keys());
    // The parts that were in flight finished and were checkpointed rather than thrown away.
    expect(finished.size).toBeGreaterThan(beforeTerm);
    expect((await harness.openUploads()).map((u) => u.uploadId)).toEqual([checkpoint?.uploadId]);

    slow.proxy.bytesPerSecond = Number.POSITIVE_INFINITY;
    const requestsBefore = slow.proxy.requests.length;
    const second = await spawnWorker();
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error, second.output()).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', attempts: 1, bytesDone: SIZE });
    expect(await objectSha256(harness.s3, harness.bucket, 'handed-back.bin')).toEqual({
      sha256: slow.file.sha256,
      size: SIZE,
    });
    expect(second.logged('resuming from checkpoint')).toMatchObject([
      { uploadId: checkpoint?.uploadId, finishedParts: finished.size },
    ]);
    // Nothing fetched twice: the second process read exactly the parts never started.
    const after = slow.proxy.requests.slice(requestsBefore).filter((r) => r.range);
    const afterParts = after.map((r) => partOf(r.range)).sort((a, b) => a - b);
    const missing = Array.from({ length: PARTS }, (_, i) => i + 1).filter((n) => !finished.has(n));
    expect(afterParts).toEqual(missing);
    const served = slow.proxy.requests.reduce((sum, r) => sum + r.bytes, 0);
    expect(served).toBe(SIZE);
    console.info(
      `[sigterm/${backend.name}] exit 0 after ${exitMs} ms; ${beforeTerm} parts checkpointed at SIGTERM, ${finished.size} at exit; ` +
        `source served ${(served / MIB).toFixed(1)} MiB for a ${SIZE / MIB} MiB file`,
    );
    expect(await harness.openUploads()).toEqual([]);
  });
});
