import { createHash, randomBytes } from 'node:crypto';
import { accountPauseKey, limitsPrefix } from '@ferry/shared';
import { objectSha256 } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostLimitKey } from './limits/limit-key.ts';
import { Harness } from './testing/harness.ts';
import { type RecordingOrigin, startRecordingOrigin } from './testing/recording-origin.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const KIB = 1024;
const LIMITED = { downloads: 2, perSecond: 8 };
/** Long enough that another host's imports finish well inside it, on any machine. */
const RETRY_AFTER_S = 6;
/**
 * How late a request may arrive after the limiter let it go: a request already on its way when
 * another worker's was answered 429, or one sent by a process whose event loop lagged (its first
 * import). The limiter spaces departures; the origin sees arrivals.
 */
const IN_FLIGHT_GRACE_MS = 250;

describe('per-host limits for HTTP sources across 3 worker processes (real origins)', () => {
  let harness: Harness;
  /** Held to 2 downloads and 8 requests/s by HTTP_HOST_LIMITS. */
  let limited: RecordingOrigin;
  /** Unlimited, and throttles with Retry-After. */
  let throttling: RecordingOrigin;
  /** Unlimited, and never throttles. */
  let free: RecordingOrigin;
  const workers: WorkerProcess[] = [];
  const files = Array.from({ length: 12 }, (_, i) => randomBytes(128 * KIB + i * 7919));
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  beforeAll(async () => {
    harness = await Harness.create();
    // Each body a moment after its head: downloads overlap, so the concurrency limit has work to do.
    limited = await startRecordingOrigin({ bodyDelayMs: 100 });
    throttling = await startRecordingOrigin();
    free = await startRecordingOrigin();
    for (const origin of [limited, throttling, free]) {
      for (const [i, bytes] of files.entries()) origin.addFile(`file-${i}.bin`, bytes);
    }
    const env = harness.env({
      HTTP_HOST_LIMITS: `${limited.host}=${LIMITED.downloads}/${LIMITED.perSecond}`,
      WORKER_CONCURRENCY: '4',
      // Shorter than the origin's Retry-After: imports caught by the pause are delayed, not held.
      RATE_LIMIT_MAX_WAIT_S: '2',
    });
    for (let i = 0; i < 3; i++) workers.push(spawnWorkerProcess(env));
    await Promise.all(workers.map((worker) => worker.ready));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await harness?.close();
    await Promise.all([limited, throttling, free].map((origin) => origin?.close()));
  });

  async function importAll(origin: RecordingOrigin, prefix: string, count = files.length) {
    const ids = await Promise.all(
      files
        .slice(0, count)
        .map((_, i) =>
          harness.submit({ type: 'http', url: `${origin.url}/file-${i}.bin` }, `${prefix}/${i}.bin`),
        ),
    );
    return ids;
  }

  async function expectImported(ids: string[], prefix: string) {
    const records = await Promise.all(
      ids.map((id) => harness.waitForStatus(id, ['completed', 'failed', 'canceled'], 60_000)),
    );
    expect(records.filter((record) => record.status !== 'completed').map((r) => r.error)).toEqual([]);
    for (const [i, bytes] of files.slice(0, ids.length).entries()) {
      expect((await objectSha256(harness.s3, harness.bucket, `${prefix}/${i}.bin`)).sha256).toBe(
        sha256(bytes),
      );
    }
    return records;
  }

  it("never exceeds the host's concurrent downloads or requests per second, fleet-wide", async () => {
    await expectImported(await importAll(limited, 'limited'), 'limited');

    const requests = limited.requests();
    // Every import: its metadata, its one part, and its metadata again before completing.
    expect(requests.length).toBeGreaterThanOrEqual(files.length * 2);
    expect(limited.maxConcurrentDownloads()).toBeLessThanOrEqual(LIMITED.downloads);
    // Requests leave at least 1000/rate ms apart, fleet-wide. Over the run: no faster than the rate,
    // give or take one late arrival...
    const spacingMs = Math.floor(1000 / LIMITED.perSecond);
    const span = (requests.at(-1)?.at ?? 0) - (requests[0]?.at ?? 0);
    expect(span).toBeGreaterThanOrEqual((requests.length - 1) * spacingMs - IN_FLIGHT_GRACE_MS);
    // ...and in any one second, the rate plus what may have left in the grace before it.
    const lateArrivals = Math.ceil((IN_FLIGHT_GRACE_MS * LIMITED.perSecond) / 1000);
    expect(limited.maxRequestsWithin(1000)).toBeLessThanOrEqual(LIMITED.perSecond + 1 + lateArrivals);
    // All three processes took part: the limit held across processes, not within one.
    const handled = workers.map((worker) => worker.logged('import completed').length);
    expect(handled.filter((count) => count > 0)).toHaveLength(3);
  });

  it('honours a Retry-After in every process, without using attempts, and another host is not slowed', async () => {
    const pauseBegan = throttling.throttleAt(4, RETRY_AFTER_S);
    const throttled = await importAll(throttling, 'throttled');
    const pause = await pauseBegan;

    // While the throttling host is paused, imports from another host go through at once.
    const others = await importAll(free, 'free', 6);
    await expectImported(others, 'free');
    const pauseKey = accountPauseKey(limitsPrefix(harness.queueName), hostLimitKey(new URL(throttling.url)));
    expect(await harness.redis.pttl(pauseKey)).toBeGreaterThan(0);

    const records = await expectImported(throttled, 'throttled');
    // Waiting for a host never uses up one of the import's attempts.
    expect(records.map((record) => record.attempts)).toEqual(throttled.map(() => 1));
    expect(throttling.pauses()).toHaveLength(1);
    expect(throttling.requestsDuringPauses(IN_FLIGHT_GRACE_MS)).toEqual([]);
    // Requests came back after the pause: the imports it caught were delayed and resumed.
    expect(throttling.requests().some((request) => request.at >= pause.until)).toBe(true);
    const waited = workers.flatMap((worker) => worker.logged('rate limited: import waits'));
    expect(waited.length).toBeGreaterThan(0);
  });
});
