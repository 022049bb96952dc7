import { CreateMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { objectSha256, TEST_PATIENCE_MS } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LOST_WORKERS } from './jobs/process-import.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';
import { startThrottledFile } from './testing/throttled-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;

describe('an import whose workers keep being lost (SIGKILL, out of memory, a host gone)', () => {
  const SIZE = 12 * MIB;
  let harness: Harness;
  let served: ServedFile;

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(SIZE);
  });

  afterAll(async () => {
    await harness?.close();
    await served?.close();
  });

  /** An import as its last lost worker left it: running, an open upload in its checkpoint, the job stalled `times`. */
  const lostWorkers = async (key: string, times: number): Promise<string> => {
    const id = await harness.submit({ type: 'http', url: served.url }, key);
    await harness.store.markRunning(id, 1);
    const created = await harness.s3.send(
      new CreateMultipartUploadCommand({ Bucket: harness.bucket, Key: key, ChecksumAlgorithm: 'CRC32' }),
    );
    await harness.checkpoints.begin(id, {
      uploadId: created.UploadId ?? '',
      bucket: harness.bucket,
      key,
      version: 'v0',
      size: SIZE,
      partSize: 5 * MIB,
    });
    // BullMQ's count of the times it found the job stalled.
    await harness.redis.hset(harness.queue.toKey(id), 'stc', String(times));
    return id;
  };

  it(`fails it with WORKER_LOST after ${MAX_LOST_WORKERS} losses, aborting its upload, and still resumes one lost that often`, async () => {
    const givenUp = await lostWorkers('given-up.bin', MAX_LOST_WORKERS + 1);
    const resumed = await lostWorkers('resumed.bin', MAX_LOST_WORKERS);
    const worker = await harness.startWorker({ PART_SIZE_MIB: '5' });

    const failed = await harness.waitForStatus(givenUp, ['completed', 'failed']);
    expect(failed).toMatchObject({
      status: 'failed',
      error: { code: 'WORKER_LOST', message: expect.stringContaining(`lost ${MAX_LOST_WORKERS + 1} times`) },
    });
    expect(await harness.waitForJobState(givenUp, ['failed', 'completed'])).toBe('failed');
    expect(await harness.redis.exists(harness.checkpoints.key(givenUp))).toBe(0);

    const completed = await harness.waitForStatus(resumed, ['completed', 'failed']);
    expect(completed.error).toBeUndefined();
    expect(completed.status).toBe('completed');
    expect(await objectSha256(harness.s3, harness.bucket, 'resumed.bin')).toEqual({
      sha256: served.file.sha256,
      size: SIZE,
    });
    // The given-up import wrote nothing.
    await expect(
      harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: 'given-up.bin' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    // Neither upload is left open: the given-up one aborted, the resumed one completed (its stale
    // checkpoint named another version, so it was aborted and a new one made).
    expect(await harness.openUploads()).toEqual([]);
    await worker.close();
  });

  it(`fails an import with WORKER_LOST once ${MAX_LOST_WORKERS + 1} real worker processes were SIGKILLed running it`, async () => {
    // A queue of its own: BullMQ's stalled check runs once per queue per interval, and the first
    // test's worker (the default JOB_LOCK_MS) would hold it off for 30 s.
    const fleet = await Harness.create();
    // Slow enough that every worker is killed mid-transfer.
    const slow = await startThrottledFile(20 * MIB, 1 * MIB);
    const processes: WorkerProcess[] = [];
    const spawn = async () => {
      // A dead worker's job is back in the queue within seconds (production: 30 s).
      const worker = spawnWorkerProcess(fleet.env({ PART_SIZE_MIB: '5', JOB_LOCK_MS: '5000' }));
      processes.push(worker);
      await worker.ready;
      return worker;
    };
    try {
      const id = await fleet.submit({ type: 'http', url: slow.url }, 'killed-again.bin');
      for (let lost = 1; lost <= MAX_LOST_WORKERS + 1; lost++) {
        const seen = slow.proxy.requests.length;
        const worker = await spawn();
        // Killed mid-transfer: once its part bytes flow, the worker has probed S3 (the probe's
        // scratch uploads are aborted by then) and named its upload in the checkpoint. (Killed
        // before either, it would leave an upload no checkpoint names.) And once its record says
        // the attempt streamed bytes: a lost attempt that moved nothing is not held against it.
        await expect
          .poll(
            async () =>
              worker.logged('import started').length === 1 &&
              slow.proxy.requests.slice(seen).some((request) => request.range && request.bytes > 0) &&
              ((await fleet.checkpoints.load(id))?.uploadId ?? '') !== '' &&
              Number(await fleet.redis.hget(fleet.store.keys.record(id), 'attemptBytes')) > 0,
            { timeout: TEST_PATIENCE_MS },
          )
          .toBe(true);
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
      const last = await spawn();
      const record = await fleet.waitForStatus(id, ['completed', 'failed']);
      expect(record).toMatchObject({
        status: 'failed',
        error: {
          code: 'WORKER_LOST',
          message: expect.stringContaining(`lost ${MAX_LOST_WORKERS + 1} times`),
        },
      });
      expect(last.logged('import started')).toEqual([]);
      expect(await fleet.openUploads()).toEqual([]);
      expect(await fleet.redis.exists(fleet.checkpoints.key(id))).toBe(0);
    } finally {
      await Promise.all(processes.map((worker) => worker.stop()));
      await slow.close();
      await fleet.close();
    }
  }, 300_000);
});
