import { type RestartableRedis, startRestartableRedis } from '@ferry/local-stack';
import {
  type HeldSource,
  objectSha256,
  s3Backends,
  startHeldSource,
  TEST_PATIENCE_MS,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const PARTS = 8;
const SIZE = PARTS * PART;
/** The part the source holds mid-body, so the import is certainly under way when Redis goes. */
const HELD_PART = 4;

/** Resolves once `check` holds, polling; fails naming `what` after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = TEST_PATIENCE_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.for(s3Backends())('Redis SIGKILLed and restarted mid-transfer (AOF), $label', (backend) => {
  let redis: RestartableRedis;
  let harness: Harness;
  let served: ServedFile;
  let source: HeldSource;
  let s3: S3FaultProxy;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    redis = await startRestartableRedis();
    harness = await Harness.create(backend, { redisUrl: redis.url });
    served = await startServedFile(SIZE);
    source = await startHeldSource(served.source.url, (HELD_PART - 1) * PART + MIB);
    // Records which upload every request belonged to.
    s3 = await startS3FaultProxy({ upstream: backend.endpoint });
  });

  afterAll(async () => {
    await worker?.stop();
    // The harness cleans up through Redis, so Redis must be up for it.
    if (redis?.pid === null) await redis.start();
    await harness?.close();
    await Promise.all([s3?.close(), source?.close(), served?.close()]);
    await redis?.close();
  });

  it('completes byte-identical with one upload, each part uploaded once, no attempt lost', async () => {
    worker = spawnWorkerProcess(
      harness.env({
        S3_ENDPOINT: s3.url,
        PART_SIZE_MIB: '5',
        PART_CONCURRENCY: '2',
        WORKER_CONCURRENCY: '1',
        JOB_LOCK_MS: '10000',
      }),
    );
    await worker.ready;
    const id = await harness.submit(
      { type: 'http', url: `${source.url}/${served.file.name}` },
      'restart.bin',
    );
    await source.held;
    await harness.waitForCheckpointedParts(id, HELD_PART - 1);
    const checkpointed = [...((await harness.checkpoints.load(id))?.parts.keys() ?? [])];

    await redis.kill();
    // While Redis is away the held part goes on: S3 takes it, and its checkpoint waits for Redis.
    source.release();
    const accepted = (part: number) =>
      s3.requests.some((r) => r.operation === 'UploadPart' && r.partNumber === part && r.status === 200);
    await until(`S3 has part ${HELD_PART}`, () => accepted(HELD_PART));

    await redis.start();
    // appendfsync always: everything acknowledged before the kill came back from the AOF.
    // Read in this order: a checkpoint gone means the import completed before the record was read.
    const checkpointAfter = await harness.checkpoints.load(id);
    const after = await harness.store.get(id);
    expect(after?.status).toMatch(/^(running|completed)$/);
    if (checkpointAfter) expect(checkpointed.filter((n) => !checkpointAfter.parts.has(n))).toEqual([]);
    else expect(after?.status).toBe('completed');
    expect(await harness.queue.getJobState(id)).toMatch(/^(active|completed)$/);

    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error, worker.output()).toBeUndefined();
    // The worker rode out the outage in the same attempt: nothing was handed back or retried.
    expect(record).toMatchObject({ status: 'completed', attempts: 1, bytesDone: SIZE });
    expect(record.result?.partCount).toBe(PARTS);
    expect(await objectSha256(harness.s3, harness.bucket, 'restart.bin')).toEqual({
      sha256: served.file.sha256,
      size: SIZE,
    });
    expect(worker.child.exitCode).toBeNull();

    const created = s3.requests.filter((r) => r.operation === 'CreateMultipartUpload');
    expect(created).toHaveLength(1);
    const uploadIds = s3.requests
      .filter((r) => r.operation === 'UploadPart' || r.operation === 'CompleteMultipartUpload')
      .map((r) => r.uploadId);
    expect(new Set(uploadIds).size).toBe(1);
    const stored = s3.requests.filter((r) => r.operation === 'UploadPart' && r.status === 200);
    expect(stored.map((r) => r.partNumber).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: PARTS }, (_, i) => i + 1),
    );
    expect(await harness.openUploads()).toEqual([]);
    expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
    console.info(
      `[redis-restart/${backend.name}] ${checkpointed.length}/${PARTS} parts checkpointed at the kill`,
    );
  });
});
