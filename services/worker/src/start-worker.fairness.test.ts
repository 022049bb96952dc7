import { rmSync } from 'node:fs';
import { startFileSource } from '@ferry/local-stack';
import { randomFile } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { startThrottleProxy, type ThrottleProxy } from './testing/throttle-proxy.ts';

const KIB = 1024;
const KEYS = { a: 'ak_fair_a_5d1e9c0b7a36', b: 'ak_fair_b_2f8a4c6e1d90' };
const SLOTS = 2;
const BACKLOG = 30;

describe('fairness between tenants (the real API, queue and worker)', () => {
  // Half a second per import at 1 MiB/s: slow enough that A's backlog outlasts the test by far.
  const file = randomFile(512 * KIB);
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;
  let proxy: ThrottleProxy;
  let api: ApiProcess;

  beforeAll(async () => {
    harness = await Harness.create();
    source = await startFileSource({ root: file.dir });
    proxy = await startThrottleProxy(source.url, 1024 * KIB);
    api = await spawnApiProcess(harness.env({ FERRY_API_KEYS: `${KEYS.a}:tenant-a,${KEYS.b}:tenant-b` }));
  });

  afterAll(async () => {
    await api?.stop();
    await harness?.close();
    await proxy?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  /** When BullMQ handed each job to a worker (ms), for those it has. */
  async function startTimes(ids: string[]): Promise<Map<string, number>> {
    const jobs = await Promise.all(ids.map((id) => harness.queue.getJob(id)));
    return new Map(jobs.flatMap((job) => (job?.id && job.processedOn ? [[job.id, job.processedOn]] : [])));
  }

  it("starts B's single import at the next free slot while A's backlog is queued", async () => {
    await harness.startWorker({ WORKER_CONCURRENCY: String(SLOTS) });
    const request = (key: string) => ({
      source: { type: 'http', url: `${proxy.url}/${file.name}` },
      destination: { bucket: harness.bucket, key },
    });

    const batch = await api.call(KEYS.a, 'POST', '/v1/imports/batch', {
      imports: Array.from({ length: BACKLOG }, (_, i) => request(`a/${i}.bin`)),
    });
    expect(batch.status).toBe(200);
    const backlog = (batch.body as { results: { id: string }[] }).results.map((result) => result.id);
    expect(backlog).toHaveLength(BACKLOG);
    // Every slot busy with A before B arrives.
    await expect.poll(() => harness.queue.getActiveCount(), { timeout: 20_000 }).toBe(SLOTS);
    const startedBefore = await startTimes(backlog);

    const submitted = await api.call(KEYS.b, 'POST', '/v1/imports', request('b/single.bin'));
    expect(submitted.status).toBe(202);
    const single = (submitted.body as { id: string }).id;
    const record = await harness.waitForStatus(single, ['completed', 'failed'], 30_000);
    expect(record.status).toBe('completed');

    const startedAt = (await harness.queue.getJob(single))?.processedOn ?? Number.NaN;
    const startedSince = [...(await startTimes(backlog))].filter(
      ([id, at]) => !startedBefore.has(id) && at <= startedAt,
    );
    // Slots that freed while B's submit was on its way may take A's next ones: one slot's turnover,
    // at most a slot each. In arrival order B would have waited for all of A's backlog.
    expect(startedSince.length).toBeLessThanOrEqual(SLOTS);
    expect(BACKLOG - startedBefore.size - startedSince.length).toBeGreaterThan(BACKLOG / 2);
  });
});
