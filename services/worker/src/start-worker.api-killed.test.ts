import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const KIB = 1024;
const KEY = 'ak_killed_3c9d1e7f5a20';
const BATCH = 300;
/** Rounds of submit-and-kill until one kill lands between the records and their jobs. */
const MAX_ROUNDS = 8;

describe('an API process killed in the middle of a batch submit (real processes)', () => {
  let harness: Harness;
  let served: ServedFile;
  const apis: ApiProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(16 * KIB);
  });

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop()));
    await harness?.close();
    await served?.close();
  });

  const startApi = async (requeueAfterS: number): Promise<ApiProcess> => {
    const api = await spawnApiProcess(
      harness.env({ FERRY_API_KEYS: `${KEY}:tenant-killed`, REQUEUE_AFTER_S: String(requeueAfterS) }),
    );
    apis.push(api);
    return api;
  };

  const recordIds = async (): Promise<string[]> => {
    const prefix = `${harness.store.keys.prefix}import:`;
    return (await harness.redis.keys(`${prefix}*`)).map((key) => key.slice(prefix.length));
  };

  const withoutJobs = async (): Promise<string[]> => {
    const ids = await recordIds();
    const jobs = await Promise.all(ids.map((id) => harness.queue.getJob(id)));
    return ids.filter((_, i) => jobs[i] === undefined);
  };

  it('leaves no record without a job: the next API queues the jobs a killed one never did', async () => {
    const imports = (round: number) =>
      Array.from({ length: BATCH }, (_, i) => ({
        source: { type: 'http', url: served.url },
        destination: { bucket: harness.bucket, key: `r${round}/${i}.bin` },
      }));

    let orphans: string[] = [];
    let rounds = 0;
    while (orphans.length === 0 && rounds < MAX_ROUNDS) {
      rounds++;
      // Its own sweep far off: only the next API may repair what this one leaves.
      const api = await startApi(3600);
      let settled = false;
      const submit = api
        .call(KEY, 'POST', '/v1/imports/batch', { imports: imports(rounds) })
        .catch(() => null)
        .finally(() => {
          settled = true;
        });
      // Records written, jobs not yet known to be queued: the moment to pull the plug.
      while (!settled && (await harness.redis.zcard(harness.store.keys.unqueued())) === 0) {
        // Polling as fast as Redis answers: the window is a few milliseconds wide.
      }
      await api.kill();
      const answered = await submit;
      if (answered !== null) expect(answered.status).toBe(200);
      orphans = await withoutJobs();
    }
    expect(
      orphans.length,
      `no kill in ${rounds} rounds landed between the records and their jobs`,
    ).toBeGreaterThan(0);
    // They say queued, and nothing would ever run them.
    expect(new Set(await Promise.all(orphans.map((id) => harness.store.status(id))))).toEqual(
      new Set(['queued']),
    );

    const recovery = await startApi(1);
    await harness.startWorker({ WORKER_CONCURRENCY: '8' });
    const ids = await recordIds();
    await expect
      .poll(
        async () => {
          const statuses = await Promise.all(ids.map((id) => harness.store.status(id)));
          return statuses.filter((status) => status !== 'completed').length;
        },
        { timeout: 90_000, interval: 500 },
      )
      .toBe(0);
    expect(await withoutJobs()).toEqual([]);
    const metrics = await fetch(`${recovery.url}/metrics`).then((response) => response.text());
    expect(metrics).toContain(`ferry_api_imports_requeued_total ${orphans.length}`);
    console.info(
      `[api-killed] ${rounds} round(s) of ${BATCH}; ${orphans.length} records without a job after the kill, all queued again and completed`,
    );
  });
});
