import { createHash, randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ErrorCode, type ImportRecord } from '@ferry/shared';
import { objectSha256 } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { HOSTILE_ANSWERS, HOSTILE_CLASSES, type HostileClass } from './testing/hostile-answers.ts';
import { FLOOD_CLASSES, HOSTILE_OUTCOMES } from './testing/hostile-outcomes.ts';
import { type HostileServer, startHostileServer } from './testing/hostile-server.ts';
import { MAX_SOURCE_RESTARTS } from './transfer/source-change.ts';

const MIB = 1024 * 1024;
/** Sent with every hostile import: no failure may repeat it. */
const SECRET = 'Bearer hostile-test-secret-7f3a';
/** The worker's source timeouts here: short, so that stalls end soon; every bound below is many of these. */
const TIMEOUT_MS = 1000;
/** Every hostile import must have failed by then: two attempts of five tries of a part, at a few timeouts each. */
const BOUND_MS = 40 * TIMEOUT_MS;

function retainedBytes(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * Every hostile class as an import through a real worker (real Redis, the embedded S3 server), all
 * at once beside a healthy import on the same worker and the same origin: each ends in its code, in
 * bounded time, with nothing left at the destination, and the worker goes on importing.
 */
describe('a worker importing from a hostile HTTP server', () => {
  const file = randomBytes(12 * MIB);
  const fileSha256 = createHash('sha256').update(file).digest('hex');
  let harness: Harness;
  let server: HostileServer;
  const failed = new Map<HostileClass, { record: ImportRecord; ms: number }>();
  let healthy: ImportRecord;
  let retainedGrowth = 0;

  beforeAll(async () => {
    harness = await Harness.create();
    server = await startHostileServer({ trickleMs: TIMEOUT_MS / 4, file });
    await harness.startWorker(
      {
        WORKER_CONCURRENCY: String(HOSTILE_CLASSES.length + 2),
        WORKER_MEMORY_BUDGET_MIB: '128',
        PART_SIZE_MIB: '5',
        PART_CONCURRENCY: '2',
        SOURCE_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
        SOURCE_IDLE_TIMEOUT_MS: String(TIMEOUT_MS),
        SOURCE_MIN_BYTES_PER_S: '1024',
      },
      // No backoff jitter to wait out: a part's five tries follow each other at once.
      { random: () => 0 },
    );
    const before = retainedBytes();
    const healthyId = await harness.submit({ type: 'http', url: server.fileUrl }, 'healthy.bin');
    await Promise.all([
      harness.waitForStatus(healthyId, ['completed', 'failed'], 60_000).then((record) => {
        healthy = record;
      }),
      ...HOSTILE_CLASSES.map(async (name) => {
        const started = performance.now();
        // Two job attempts, the second at once: a transient failure is tried again (a part by its
        // own retries as well), a permanent one never.
        const source = { type: 'http' as const, url: server.urlOf(name), headers: { authorization: SECRET } };
        const id = await harness.submit(source, `${name}.bin`, {
          attempts: 2,
          backoff: { type: 'fixed', delay: 0 },
        });
        const record = await harness.waitForStatus(id, ['completed', 'failed'], 2 * BOUND_MS);
        failed.set(name, { record, ms: performance.now() - started });
      }),
    ]);
    retainedGrowth = retainedBytes() - before;
  }, 4 * BOUND_MS);

  afterAll(async () => {
    await harness?.close();
    await server?.close();
  });

  it('completes the healthy import beside them, byte-identical', async () => {
    expect(healthy).toMatchObject({ status: 'completed' });
    expect(await objectSha256(harness.s3, harness.bucket, 'healthy.bin')).toEqual({
      sha256: fileSha256,
      size: file.length,
    });
  });

  it.each(HOSTILE_CLASSES)('%s fails with its code, in bounded time, retried only if transient', (name) => {
    const outcome = failed.get(name);
    const expected = HOSTILE_OUTCOMES[name];
    expect(outcome?.record, name).toMatchObject({ status: 'failed', error: { code: expected.code } });
    expect(outcome?.ms).toBeLessThan(BOUND_MS);
    const method = HOSTILE_ANSWERS[name].on === 'head' ? 'HEAD' : 'GET';
    const hostileRequests = server.requests(name, method);
    if (expected.retryable) {
      expect(hostileRequests, 'a transient failure is tried again').toBeGreaterThan(1);
    } else {
      // One request per try (a redirect loop follows five redirects first); a source of another size
      // is imported again from the start, as ON_SOURCE_CHANGE=restart says, before it fails.
      const perTry = name === 'redirect-loop' ? 6 : 1;
      const tries = expected.code === ErrorCode.SOURCE_CHANGED ? MAX_SOURCE_RESTARTS + 1 : 1;
      expect(hostileRequests, 'a permanent failure is not tried again').toBe(perTry * tries);
    }
  });

  it('repeats the source secret in no failure', () => {
    for (const [name, { record }] of failed) expect(JSON.stringify(record), name).not.toContain('7f3a');
  });

  it('leaves no object and no open multipart upload for any failed import', async () => {
    for (const name of HOSTILE_CLASSES) {
      const head = harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: `${name}.bin` }));
      await expect(head, name).rejects.toMatchObject({ name: 'NotFound' });
    }
    expect(await harness.openUploads()).toEqual([]);
  });

  it('reads a bounded number of bytes of every flood, and keeps none of them', () => {
    for (const name of FLOOD_CLASSES) {
      const method = HOSTILE_ANSWERS[name].on === 'head' ? 'HEAD' : 'GET';
      // Per request: the client's limit plus the kernel's socket buffers, never the server's 256 MiB.
      expect(server.bytesSent(name) / server.requests(name, method), name).toBeLessThan(32 * MIB);
    }
    expect(retainedGrowth).toBeLessThan(32 * MIB);
  });

  it('goes on importing afterwards', async () => {
    const id = await harness.submit({ type: 'http', url: server.fileUrl }, 'after.bin');
    expect(await harness.waitForStatus(id, ['completed', 'failed'], 60_000)).toMatchObject({
      status: 'completed',
    });
  });
});
