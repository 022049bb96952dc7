import { type RestartableRedis, readProcessUsage, startRestartableRedis } from '@ferry/local-stack';
import {
  defaultBackend,
  type HeldSource,
  objectSha256,
  startHeldSource,
  TEST_PATIENCE_MS,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, type ApiReply, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const PARTS = 8;
const SIZE = PARTS * PART;
const LANES = 2;
/** The part the source holds mid-body: the import is certainly under way when Redis goes. */
const HELD_PART = 4;
/** The shortest lock the worker accepts, so the outage outlasts it quickly. */
const LOCK_MS = 2000;
/** Longer than a lock: by Redis's clock (kept across the restart) the job's lock has expired. */
const OUTAGE_MS = 3 * LOCK_MS;
const KEY = 'ak_outage_5e1f0b7c9d24';
const SOURCE_TOKEN = 'source-token-9f8e7d6c5b4a';
/** Generous: a worker waiting out an outage should be near 0; one retrying in a loop uses a core. */
const MAX_CPU_SHARE = 0.3;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = TEST_PATIENCE_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function cpuSeconds(worker: WorkerProcess): Promise<number> {
  const usage = await readProcessUsage(worker.child.pid ?? -1);
  if (!usage) throw new Error(`worker ${worker.child.pid} is gone:\n${worker.output()}`);
  return usage.cpuSeconds;
}

// fauxqs only: what S3 does is not in question here (the restart test runs on every backend), and a
// second API and pair of workers would double the file's time.
describe('Redis down for longer than the job lock (real API and worker processes)', () => {
  const backend = defaultBackend();
  let redis: RestartableRedis;
  let harness: Harness;
  let served: ServedFile;
  let source: HeldSource;
  let api: ApiProcess;
  /** One S3 proxy per worker: every request S3 saw is known to come from one worker or the other. */
  const proxies: S3FaultProxy[] = [];
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    redis = await startRestartableRedis();
    harness = await Harness.create(backend, { redisUrl: redis.url });
    served = await startServedFile(SIZE);
    source = await startHeldSource(served.source.url, (HELD_PART - 1) * PART + MIB);
    api = await spawnApiProcess(harness.env({ FERRY_API_KEYS: `${KEY}:tenant-outage` }));
    for (let i = 0; i < 2; i++) {
      const proxy = await startS3FaultProxy({ upstream: backend.endpoint });
      proxies.push(proxy);
      workers.push(
        spawnWorkerProcess(
          harness.env({
            S3_ENDPOINT: proxy.url,
            PART_SIZE_MIB: '5',
            PART_CONCURRENCY: String(LANES),
            WORKER_CONCURRENCY: '1',
            JOB_LOCK_MS: String(LOCK_MS),
          }),
        ),
      );
    }
    await Promise.all(workers.map((worker) => worker.ready));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await api?.stop();
    if (redis?.pid === null) await redis.start();
    await harness?.close();
    await Promise.all([...proxies.map((proxy) => proxy.close()), source?.close(), served?.close()]);
    await redis?.close();
  });

  const output = () => workers.map((worker, i) => `--- worker ${i}\n${worker.output()}`).join('\n');

  const expectUnavailable = (reply: ApiReply) => {
    expect(reply.status).toBe(503);
    const { error } = reply.body as { error: { code: string; message: string } };
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/^the (import store|queue) is unavailable; retry later$/);
    const text = JSON.stringify(reply.body);
    expect(text).not.toContain(SOURCE_TOKEN);
    expect(text).not.toContain(KEY);
  };

  it('answers 503 while Redis is away, keeps the workers up and idle, and completes the import once', async () => {
    const submitted = await api.call(KEY, 'POST', '/v1/imports', {
      source: {
        type: 'http',
        url: `${source.url}/${served.file.name}`,
        headers: { Authorization: `Bearer ${SOURCE_TOKEN}` },
      },
      destination: { bucket: harness.bucket, key: 'outage.bin' },
    });
    expect(submitted.status).toBe(202);
    const { id } = submitted.body as { id: string };
    await source.held;
    await harness.waitForCheckpointedParts(id, HELD_PART - 1);
    const checkpointed = new Set((await harness.checkpoints.load(id))?.parts.keys());
    const owner = workers.findIndex((worker) =>
      worker.logged('import started').some((line) => line.importId === id),
    );
    expect(owner, output()).toBeGreaterThanOrEqual(0);
    const ownerWorker = workers[owner] as WorkerProcess;

    const cpuBefore = await Promise.all(workers.map(cpuSeconds));
    const downAt = Date.now();
    await redis.shutdown();

    expectUnavailable(
      await api.call(KEY, 'POST', '/v1/imports', {
        source: { type: 'http', url: served.url, headers: { Authorization: `Bearer ${SOURCE_TOKEN}` } },
        destination: { bucket: harness.bucket, key: 'during-outage.bin' },
      }),
    );
    expectUnavailable(await api.call(KEY, 'GET', `/v1/imports/${id}`));
    expectUnavailable(await api.call(KEY, 'GET', '/v1/imports'));

    // The worker that holds the import stops it by itself before its lock can have expired: once
    // Redis is back another worker may take the job, and must find nobody else moving it.
    await until(
      'the owner stops the import',
      () => ownerWorker.logged('job lock expired').length > 0,
      20_000,
    );
    await until('the outage outlasts the lock', () => Date.now() - downAt >= OUTAGE_MS);
    const cpuAfter = await Promise.all(workers.map(cpuSeconds));
    const outageS = (Date.now() - downAt) / 1000;
    for (const [i, worker] of workers.entries()) {
      expect(worker.child.exitCode, worker.output()).toBeNull();
      const share = ((cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0)) / outageS;
      console.info(
        `[redis-outage] worker ${i}: ${(share * 100).toFixed(1)}% of a core over ${outageS} s down`,
      );
      expect(share, worker.output()).toBeLessThan(MAX_CPU_SHARE);
    }
    const requestsAtReturn = proxies.map((proxy) => proxy.requests.length);

    await redis.start();
    source.release();
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error, output()).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', bytesDone: SIZE });
    expect(record.result?.partCount).toBe(PARTS);
    expect(await objectSha256(harness.s3, harness.bucket, 'outage.bin')).toEqual({
      sha256: served.file.sha256,
      size: SIZE,
    });
    const got = await api.call(KEY, 'GET', `/v1/imports/${id}`);
    expect(got).toMatchObject({
      status: 200,
      body: { status: 'completed', progress: { bytesDone: SIZE } },
    });
    for (const worker of workers) {
      expect(worker.child.exitCode).toBeNull();
      // One line per connection and outage, however many reconnects failed meanwhile.
      const lost = worker.logged('redis unreachable; retrying').map((line) => line.connection);
      expect(lost.length, worker.output()).toBeGreaterThan(0);
      expect(new Set(lost).size).toBe(lost.length);
      expect(worker.output()).not.toMatch(
        /"msg":"worker error".*ECONNREFUSED|ECONNREFUSED.*"msg":"worker error"/,
      );
      await until('every connection is back', () => {
        const back = new Set(worker.logged('redis reachable again').map((line) => line.connection));
        return lost.every((connection) => back.has(connection));
      });
    }

    // Nothing double-moved: after Redis came back one worker alone sent the import's requests.
    const movers = proxies.filter((proxy, i) =>
      proxy.requests.slice(requestsAtReturn[i]).some((r) => r.operation === 'UploadPart'),
    );
    expect(movers, output()).toHaveLength(1);
    const requests = proxies.flatMap((proxy) => proxy.requests);
    // ...and it went on from the checkpoint, with the same upload.
    const uploadId = requests.find((r) => r.operation === 'UploadPart')?.uploadId;
    const resumed = workers.flatMap((worker) =>
      worker.logged('resuming from checkpoint').filter((line) => line.importId === id),
    );
    expect(resumed, output()).toMatchObject([{ uploadId }]);
    expect(resumed[0]?.finishedParts).toBeGreaterThanOrEqual(checkpointed.size);
    expect(requests.filter((r) => r.operation === 'CreateMultipartUpload')).toHaveLength(1);
    const uploadIds = requests
      .filter((r) => r.operation === 'UploadPart' || r.operation === 'CompleteMultipartUpload')
      .map((r) => r.uploadId);
    expect(new Set(uploadIds).size).toBe(1);
    // Each part stored once, but for those in flight when the owner stopped (never a checkpointed one).
    const stored = requests.filter((r) => r.operation === 'UploadPart' && r.status === 200);
    const storedTwice = stored.map((r) => r.partNumber).filter((n, i, all) => all.indexOf(n) !== i);
    expect(new Set(stored.map((r) => r.partNumber)).size).toBe(PARTS);
    expect(storedTwice.length).toBeLessThanOrEqual(LANES);
    expect(storedTwice.filter((n) => checkpointed.has(n ?? 0))).toEqual([]);
    expect(await harness.openUploads()).toEqual([]);
    // Nothing the stopped worker still had queued for Redis brought the checkpoint back.
    expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
    // The API is back to normal too: the import refused during the outage can be submitted now.
    const resubmitted = await api.call(KEY, 'POST', '/v1/imports', {
      source: { type: 'http', url: served.url },
      destination: { bucket: harness.bucket, key: 'after-outage.bin' },
    });
    expect(resubmitted.status).toBe(202);
    const again = await harness.waitForStatus((resubmitted.body as { id: string }).id, [
      'completed',
      'failed',
    ]);
    expect(again.status).toBe('completed');
  });
});
