import { FAILPOINT_EXIT_CODE } from '@ferry/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const KIB = 1024;
const KEY = 'ak_killed_3c9d1e7f5a20';
const BATCH = 50;

/**
 * The API dies at the named point between writing a batch's records and queueing their jobs
 * (FERRY_FAILPOINTS=submit.after-records=exit): every time, however fast the machine is.
 */
describe('an API process that dies between the records and the jobs of a batch (real processes)', () => {
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

  const startApi = async (env: Record<string, string>): Promise<ApiProcess> => {
    const api = await spawnApiProcess(harness.env({ FERRY_API_KEYS: `${KEY}:tenant-killed`, ...env }));
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

  it('leaves no record without a job: the next API queues the jobs the dead one never did', async () => {
    // Its own sweep far off: only the next API may repair what this one leaves.
    const dying = await startApi({ REQUEUE_AFTER_S: '3600', FERRY_FAILPOINTS: 'submit.after-records=exit' });
    const imports = Array.from({ length: BATCH }, (_, i) => ({
      source: { type: 'http', url: served.url },
      destination: { bucket: harness.bucket, key: `killed/${i}.bin` },
    }));
    const answered = await dying.call(KEY, 'POST', '/v1/imports/batch', { imports }).catch(() => null);
    expect(answered).toBeNull();
    expect(await dying.exited).toEqual({ code: FAILPOINT_EXIT_CODE, signal: null });

    const orphans = await withoutJobs();
    expect(orphans).toHaveLength(BATCH);
    // They say queued, and nothing would ever run them.
    expect(new Set(await Promise.all(orphans.map((id) => harness.store.status(id))))).toEqual(
      new Set(['queued']),
    );

    const recovery = await startApi({ REQUEUE_AFTER_S: '1' });
    await harness.startWorker({ WORKER_CONCURRENCY: '8' });
    await expect
      .poll(
        async () => {
          const statuses = await Promise.all(orphans.map((id) => harness.store.status(id)));
          return statuses.filter((status) => status !== 'completed').length;
        },
        { timeout: 90_000, interval: 500 },
      )
      .toBe(0);
    expect(await withoutJobs()).toEqual([]);
    const metrics = await fetch(`${recovery.url}/metrics`).then((response) => response.text());
    expect(metrics).toContain(`ferry_api_imports_requeued_total ${BATCH}`);
  });
});
