import { UnfedImports } from '@ferry/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const KIB = 1024;
const KEY_A = 'ak_lazy_a_5e2f9c1d7b30';
const KEY_B = 'ak_lazy_b_8a4c6e0f2d19';
const WINDOW = 4;
const BACKLOG = 40;

/**
 * Lazy queueing end to end, with real processes: an API and two workers, all feeding a window of 4
 * jobs, and ten times that many imports from one tenant with a single one from another behind them.
 */
describe('more imports than the feed window (real API and worker processes)', () => {
  let harness: Harness;
  let served: ServedFile;
  let api: ApiProcess;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(16 * KIB);
    api = await spawnApiProcess(
      harness.env({
        FERRY_API_KEYS: `${KEY_A}:tenant-a,${KEY_B}:tenant-b`,
        QUEUE_FEED_WINDOW: String(WINDOW),
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await api?.stop();
    await harness?.close();
    await served?.close();
  });

  const request = (key: string) => ({
    source: { type: 'http', url: served.url },
    destination: { bucket: harness.bucket, key },
  });

  it('holds only the window in BullMQ, feeds the rest as workers take jobs, and completes every import', async () => {
    const batch = await api.call(KEY_A, 'POST', '/v1/imports/batch', {
      imports: Array.from({ length: BACKLOG }, (_, i) => request(`lazy/a-${i}.bin`)),
    });
    expect(batch.status).toBe(200);
    const backlog = (batch.body as { results: Array<{ id: string }> }).results.map((result) => result.id);
    // No worker yet: the window is full and the rest wait as records.
    expect(await harness.queue.getJobCounts('waiting', 'prioritized')).toEqual({
      waiting: 1,
      prioritized: 3,
    });
    const unfed = new UnfedImports(harness.redis, harness.store.keys);
    expect((await unfed.waiting()).count).toBe(BACKLOG - WINDOW);

    // Another tenant's single import, behind all of them in time.
    const single = await api.call(KEY_B, 'POST', '/v1/imports', request('lazy/b-single.bin'));
    expect(single.status).toBe(202);
    const singleId = (single.body as { id: string }).id;
    const view = await api.call(KEY_B, 'GET', `/v1/imports/${singleId}`);
    expect((view.body as { status: string }).status).toBe('queued');

    // The window holds whoever feeds it: sampled throughout, never more than 4 jobs wait.
    let mostWaiting = 0;
    const sampler = setInterval(() => {
      void harness.queue
        .getJobCounts('waiting', 'prioritized')
        .then((counts) => {
          mostWaiting = Math.max(mostWaiting, (counts.waiting ?? 0) + (counts.prioritized ?? 0));
        })
        .catch(() => {});
    }, 20);
    const ids = [...backlog, singleId];
    try {
      for (let i = 0; i < 2; i++) {
        workers.push(
          spawnWorkerProcess(
            harness.env({ WORKER_CONCURRENCY: '2', QUEUE_FEED_WINDOW: String(WINDOW), METRICS_PORT: '0' }),
          ),
        );
      }
      await Promise.all(workers.map((worker) => worker.ready));
      await harness.waitForAllCompleted(ids);
    } finally {
      clearInterval(sampler);
    }
    expect(mostWaiting).toBeLessThanOrEqual(WINDOW);
    expect(await unfed.waiting()).toEqual({ count: 0, oldestMs: null });

    // Each ran once, as one job.
    const records = await Promise.all(ids.map((id) => harness.store.get(id)));
    expect(records.map((record) => record?.attempts)).toEqual(ids.map(() => 1));
    const completed = await harness.queue.getJobs(['completed'], 0, -1);
    expect(completed.map((job) => job.id).sort()).toEqual([...ids].sort());

    // Fair: B's import was fed into the first slot that opened, at priority 0, so at most the first
    // window of A's imports (the ones in BullMQ when it arrived) started before it.
    const started = new Map(completed.map((job) => [job.id, job.processedOn ?? 0]));
    const singleStarted = started.get(singleId) ?? 0;
    const aheadOfIt = backlog.filter((id) => (started.get(id) ?? 0) < singleStarted);
    expect(aheadOfIt.length).toBeLessThanOrEqual(WINDOW);
    expect((await harness.queue.getJob(singleId))?.priority).toBe(0);
  });
});
