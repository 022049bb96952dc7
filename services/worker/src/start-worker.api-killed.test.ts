import { FAILPOINT_EXIT_CODE, UnfedImports } from '@ferry/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const KIB = 1024;
const KEY = 'ak_killed_3c9d1e7f5a20';
const BATCH = 50;
/** Far fewer than the batch: most of it waits unfed, and is fed as the worker takes jobs. */
const WINDOW = '10';

/**
 * The API dies at a named point of a batch's submit (FERRY_FAILPOINTS=...=exit): every time, however
 * fast the machine is. No API runs after it: the workers' own feeders must queue what it left.
 */
describe('an API process that dies in the middle of a batch submit (real processes)', () => {
  let harness: Harness;
  let served: ServedFile;
  const apis: ApiProcess[] = [];

  beforeAll(async () => {
    served = await startServedFile(16 * KIB);
  });

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop()));
    await served?.close();
  });

  const startApi = async (env: Record<string, string>): Promise<ApiProcess> => {
    const api = await spawnApiProcess(
      harness.env({ FERRY_API_KEYS: `${KEY}:tenant-killed`, QUEUE_FEED_WINDOW: WINDOW, ...env }),
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

  /** Submits a batch to an API that dies doing it, and waits for it to be gone. */
  const submitToDyingApi = async (failpoint: string): Promise<void> => {
    const dying = await startApi({ FERRY_FAILPOINTS: `${failpoint}=exit` });
    const imports = Array.from({ length: BATCH }, (_, i) => ({
      source: { type: 'http', url: served.url },
      destination: { bucket: harness.bucket, key: `killed/${failpoint}/${i}.bin` },
    }));
    const answered = await dying.call(KEY, 'POST', '/v1/imports/batch', { imports }).catch(() => null);
    expect(answered).toBeNull();
    expect(await dying.exited).toEqual({ code: FAILPOINT_EXIT_CODE, signal: null });
  };

  /** A worker (no API anywhere) runs every import to completion, each in one attempt. */
  const workerCompletesAll = async (ids: string[]): Promise<void> => {
    await harness.startWorker({ WORKER_CONCURRENCY: '8', QUEUE_FEED_WINDOW: WINDOW });
    await harness.waitForAllCompleted(ids);
    expect(await withoutJobs()).toEqual([]);
    // Run once each: no import was fed as a second job after its first had run.
    const records = await Promise.all(ids.map((id) => harness.store.get(id)));
    expect(records.map((record) => record?.attempts)).toEqual(ids.map(() => 1));
    expect(await new UnfedImports(harness.redis, harness.store.keys).waiting()).toEqual({
      count: 0,
      oldestMs: null,
    });
  };

  it('dying after the records, before any job: the workers feed and run all of them', async () => {
    harness = await Harness.create();
    try {
      await submitToDyingApi('submit.after-records');
      const ids = await recordIds();
      expect(ids).toHaveLength(BATCH);
      // Accepted, queued, and no job yet: all of them wait unfed.
      expect(await withoutJobs()).toHaveLength(BATCH);
      expect(new Set(await Promise.all(ids.map((id) => harness.store.status(id))))).toEqual(
        new Set(['queued']),
      );
      expect((await new UnfedImports(harness.redis, harness.store.keys).waiting()).count).toBe(BATCH);

      await workerCompletesAll(ids);
    } finally {
      await harness.close();
    }
  });

  it('dying after a window of jobs, before dropping their entries: nothing lost, nothing run twice', async () => {
    harness = await Harness.create();
    try {
      await submitToDyingApi('feed.after-jobs');
      const ids = await recordIds();
      expect(ids).toHaveLength(BATCH);
      // The window's jobs are in; every entry is still there, those jobs' too.
      expect(await withoutJobs()).toHaveLength(BATCH - Number(WINDOW));
      expect((await new UnfedImports(harness.redis, harness.store.keys).waiting()).count).toBe(BATCH);

      await workerCompletesAll(ids);
    } finally {
      await harness.close();
    }
  });
});
