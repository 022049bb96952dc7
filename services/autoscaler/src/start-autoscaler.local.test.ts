import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { startFileSource } from '@ferry/local-stack';
import {
  createLogger,
  IMPORT_JOB_NAME,
  IMPORT_JOB_OPTIONS,
  type ImportRecord,
  ImportStore,
  newImportId,
} from '@ferry/shared';
import {
  createTestBucket,
  newRedis,
  newS3Client,
  randomFile,
  serviceEnv,
  uniqueName,
} from '@ferry/test-support';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AutoscalerHandle, startAutoscaler } from './start-autoscaler.ts';
import type { StatusDocument } from './status/status-document.ts';

const IMPORTS = 200;
const INTERVAL_S = 1;
const DOWN_WINDOW_S = 5;

/** Parsed JSON lines written to a stream. */
function jsonLines() {
  const lines: Array<Record<string, unknown>> = [];
  let rest = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      const parts = (rest + String(chunk)).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        if (!part.startsWith('{')) continue;
        try {
          lines.push(JSON.parse(part));
        } catch {
          // A worker's crash output, not a log line.
        }
      }
      callback();
    },
  });
  return { stream, lines };
}

describe('local mode end to end: real `ferry worker` processes sized by the autoscaler', () => {
  const file = randomFile(64 * 1024);
  const queueName = uniqueName('autoscaler-local');
  const redis = newRedis();
  const store = new ImportStore(redis, queueName);
  const queue = new Queue(queueName, { connection: newRedis() });
  const s3 = newS3Client();
  const workerLog = jsonLines();
  const autoscalerLog = jsonLines();
  let source: Awaited<ReturnType<typeof startFileSource>>;
  let bucket: string;
  let autoscaler: AutoscalerHandle | undefined;

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'autoscaler-test');
    source = await startFileSource({ root: file.dir });
  });

  afterAll(async () => {
    await autoscaler?.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    const keys = await redis.keys(`${store.keys.prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    s3.destroy();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  /** What the API does on submit: the records, then one job per record, in one batch each. */
  const submit = async (count: number): Promise<string[]> => {
    const records = Array.from({ length: count }, (_, n) =>
      store.newRecord(newImportId(), 'tenant-test', {
        source: { type: 'http', url: `${source.url}/${file.name}` },
        destination: { bucket, key: `imported/${n}.bin` },
      }),
    );
    await store.createMany(records);
    await queue.addBulk(
      records.map((record) => ({
        name: IMPORT_JOB_NAME,
        data: { importId: record.id },
        opts: { ...IMPORT_JOB_OPTIONS, jobId: record.id },
      })),
    );
    return records.map((record) => record.id);
  };

  it(`${IMPORTS} imports at once with MIN 1 / MAX 8: 8 workers within two intervals, no import lost or restarted, back to MIN after the down window`, async () => {
    autoscaler = await startAutoscaler(
      serviceEnv(queueName, {
        PATH: process.env.PATH ?? '',
        AUTOSCALER_MODE: 'local',
        AUTOSCALER_PORT: '0',
        AUTOSCALER_HOST: '127.0.0.1',
        MIN_WORKERS: '1',
        MAX_WORKERS: '8',
        SCALE_INTERVAL_S: String(INTERVAL_S),
        SCALE_DOWN_STABILIZATION_S: String(DOWN_WINDOW_S),
        WORKER_CONCURRENCY: '2',
        // Small and lean workers: eight of them share two cores with the S3 server.
        PART_CONCURRENCY: '1',
        WORKER_MEMORY_BUDGET_MIB: '16',
        // The workers log at info (their 'import started' lines are counted below).
        LOG_LEVEL: 'info',
      }),
      { logger: createLogger('autoscaler', 'info', autoscalerLog.stream), workerOutput: workerLog.stream },
    );
    const { actuator, loop } = autoscaler;
    const workers = () => autoscaler?.status().workers ?? [];

    // At rest: MIN_WORKERS.
    await expect.poll(() => workers().map((w) => w.state), { timeout: 30_000 }).toEqual(['ready']);

    const ids = await submit(IMPORTS);
    // Decisions from ticks started after this saw the whole backlog.
    const queuedAt = Date.now();

    // 200 jobs / (2 × 0.9) → 112, capped at 8; up by 4 (or 100%) per interval: 1 → 5 → 8.
    await expect.poll(() => actuator.current(), { timeout: 30_000 }).toBe(8);
    const afterQueueing = loop
      .history()
      .filter((decision) => decision.at >= queuedAt)
      .reverse()
      .map((decision) => `${decision.current} → ${decision.desired}: ${decision.reason}`);
    expect(afterQueueing.slice(0, 2).join('\n')).toMatch(/→ 8:/);
    const status = (await (await fetch(`${autoscaler.url}/status`)).json()) as StatusDocument;
    expect(status).toMatchObject({ mode: 'local', desired: 8, reason: expect.stringMatching(/max 8/) });
    expect(status.workers).toHaveLength(8);

    // The backlog drains: every import completed, none failed or retried.
    await expect
      .poll(async () => (await queue.getJobCounts('completed', 'failed')).completed, {
        timeout: 120_000,
        interval: 500,
      })
      .toBe(IMPORTS);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    const records = (await Promise.all(ids.map((id) => store.get(id)))) as ImportRecord[];
    expect(records.filter((record) => record.status !== 'completed')).toEqual([]);
    expect(records.filter((record) => record.attempts !== 1)).toEqual([]);
    // None restarted by a scale-in: each was started once, by one worker, and never handed back.
    const starts = new Map<string, number>();
    for (const line of workerLog.lines) {
      if (line.msg === 'import started')
        starts.set(String(line.importId), (starts.get(String(line.importId)) ?? 0) + 1);
    }
    expect([...starts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(starts.size).toBe(IMPORTS);
    expect(workerLog.lines.filter((line) => line.msg === 'import handed back to the queue')).toEqual([]);
    const ready = workerLog.lines.filter((line) => line.msg === 'worker ready').length;
    expect(ready).toBe(8);

    // Idle again: back to MIN once the down window has passed (and each worker's protection lapsed).
    await expect.poll(() => workers().length, { timeout: 60_000, interval: 250 }).toBe(1);
    const scaledIn = loop.history().find((decision) => decision.desired === 1 && decision.at > queuedAt);
    expect(scaledIn).toBeDefined();
    // Every stopped worker had no import left and exited by itself after its drain.
    const stopped = autoscalerLog.lines.filter((line) => line.msg === 'worker stopped');
    expect(stopped).toHaveLength(7);
    expect(stopped.every((line) => line.code === 0)).toBe(true);
    expect(autoscalerLog.lines.filter((line) => line.msg === 'worker exited unasked')).toEqual([]);

    await autoscaler.close();
    expect(workers()).toEqual([]);
  });
});
