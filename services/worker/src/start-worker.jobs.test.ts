import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  FAILPOINT_EXIT_CODE,
  type JobEvent,
  JobStore,
  jobEventId,
  jobImportId,
  WebhookSecrets,
} from '@ferry/shared';
import { startWebhookReceiver, type WebhookReceiver } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const KEY = 'ak_jobs_5e1f0a2b3c4d7a9b';
const TENANT = 'tenant-jobs';
const ROWS = 400;
const WINDOW = 100;
const FILE_BYTES = 2048;

/**
 * A job through every real piece: API processes (the first dies at job.after-window-records, after
 * its first window's records and before the cursor moves), in-process workers moving bytes from a
 * real HTTP server into S3, the report, and the job.completed webhook.
 */
describe('a transfer job end to end (real API processes, workers, HTTP source, S3)', () => {
  let harness: Harness;
  let served: ServedFile;
  let receiver: WebhookReceiver;
  const apis: ApiProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(FILE_BYTES);
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop()));
    await harness?.close();
    await served?.close();
    await receiver?.close();
  });

  const startApi = async (extra: Record<string, string> = {}): Promise<ApiProcess> => {
    const api = await spawnApiProcess(
      harness.env({
        FERRY_API_KEYS: `${KEY}:${TENANT}`,
        JOBS_BUCKET: harness.bucket,
        JOB_WINDOW: String(WINDOW),
        JOB_POLL_MS: '50',
        ...extra,
      }),
    );
    apis.push(api);
    return api;
  };

  it('imports every row once after the expander dies mid-expansion, reports each, and announces the job', async () => {
    const jobs = new JobStore(harness.redis, harness.queue.name);
    const dying = await startApi({ FERRY_FAILPOINTS: 'job.after-window-records=exit' });
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      source: { type: 'http', url: `${served.url}?row=${i + 1}` },
      destination: { bucket: harness.bucket },
    }));
    // The process may die before its answer is out: the job is found in Redis either way.
    await dying
      .call(KEY, 'POST', '/v1/jobs', {
        manifest: { rows },
        keyTemplate: 'jobs-e2e/{row}.bin',
        notify: { url: `${receiver.url}/jobs` },
      })
      .catch(() => null);
    expect(await dying.exited).toEqual({ code: FAILPOINT_EXIT_CODE, signal: null });
    const [id] = await harness.redis.zrange(harness.store.keys.tenantJobs(TENANT), '0', '-1');
    if (!id) throw new Error('no job was created');
    expect((await jobs.get(id))?.cursor.rows).toBe(0);
    expect(await jobs.openCount(id)).toBe(WINDOW);

    await harness.startWorker({ WORKER_CONCURRENCY: '16', EVENTS_POLL_MS: '50' });
    await harness.startWorker({ WORKER_CONCURRENCY: '16', EVENTS_POLL_MS: '50' });
    const api = await startApi();
    await expect
      .poll(async () => ((await api.call(KEY, 'GET', `/v1/jobs/${id}`)).body as { status: string }).status, {
        timeout: 120_000,
        interval: 250,
      })
      .toBe('completed');
    const view = (await api.call(KEY, 'GET', `/v1/jobs/${id}`)).body;
    expect(view).toMatchObject({
      progress: {
        rowsExpanded: ROWS,
        rowsTotal: ROWS,
        files: { done: ROWS, failed: 0, skipped: 0 },
        bytes: { done: ROWS * FILE_BYTES, failed: 0, skipped: 0 },
      },
      report: { bucket: harness.bucket, key: `jobs/${id}/report.csv` },
    });
    for (const row of [1, WINDOW, ROWS]) {
      const head = await harness.s3.send(
        new HeadObjectCommand({ Bucket: harness.bucket, Key: `jobs-e2e/${row}.bin` }),
      );
      expect(head.ContentLength).toBe(FILE_BYTES);
      expect((await harness.store.get(jobImportId(id, row)))?.jobId).toBe(id);
    }

    const report = await harness.s3.send(
      new GetObjectCommand({ Bucket: harness.bucket, Key: `jobs/${id}/report.csv` }),
    );
    const lines = ((await report.Body?.transformToString()) ?? '').trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS + 1);
    lines.slice(1).forEach((line, i) => {
      const row = i + 1;
      // The source without its query; the checksum the worker computed.
      expect(line).toMatch(
        new RegExp(
          `^${row},${served.url},s3://${harness.bucket}/jobs-e2e/${row}\\.bin,${FILE_BYTES},crc32:[0-9a-fA-F]{8},done,$`,
        ),
      );
    });

    const secret = (await new WebhookSecrets(harness.redis, harness.store.keys, harness.secrets).get(TENANT))
      .current;
    await expect
      .poll(() => receiver.received().filter((r) => r.headers['webhook-id'] === jobEventId(id)).length, {
        timeout: 30_000,
      })
      .toBe(1);
    const delivery = receiver.received().find((r) => r.headers['webhook-id'] === jobEventId(id));
    if (!delivery) throw new Error('no delivery');
    const event = receiver.verify(delivery, secret) as JobEvent;
    expect(event).toMatchObject({
      type: 'job.completed',
      data: { id, status: 'completed', progress: { files: { done: ROWS } } },
    });
    // The job's imports have no notify URL of their own: one event for the job, none per row.
    expect(receiver.received()).toHaveLength(1);
  });
});
