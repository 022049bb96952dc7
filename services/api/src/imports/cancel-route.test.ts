import { QueueFeeder, UnfedImports } from '@ferry/shared';
import { newRedis } from '@ferry/test-support';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRequest, startTestApi, type TestApi } from '../testing/api-harness.ts';

describe('DELETE /v1/imports/:id', () => {
  let api: TestApi;
  let subscriber: Redis;
  const announced: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    subscriber = newRedis();
    subscriber.on('message', (_channel: string, id: string) => announced.push(id));
    await subscriber.subscribe(api.store.keys.cancelChannel());
  });
  afterAll(async () => {
    await subscriber.quit();
    await api.close();
  });

  const submit = async (key: string): Promise<string> => {
    const response = await api.call('a', { method: 'POST', url: '/v1/imports', payload: importRequest(key) });
    expect(response.statusCode).toBe(202);
    return response.json().id;
  };
  const cancel = (id: string, who: 'a' | 'b' = 'a') =>
    api.call(who, { method: 'DELETE', url: `/v1/imports/${id}` });
  const waitForAnnouncement = async (id: string) => {
    await expect.poll(() => announced.includes(id), { timeout: 5000 }).toBe(true);
  };

  it('cancels a queued import: the job leaves the queue, the record says canceled', async () => {
    const id = await submit('cancel/queued');
    expect(await api.queue.getJob(id)).toBeDefined();

    const response = await cancel(id);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ id, status: 'canceled' });
    expect(await api.queue.getJob(id)).toBeUndefined();
    expect((await api.store.get(id))?.status).toBe('canceled');
    const view = await api.call('a', { method: 'GET', url: `/v1/imports/${id}` });
    expect(view.json().status).toBe('canceled');
  });

  it('tells workers to stop a running import over the cancel channel', async () => {
    const id = await submit('cancel/running');
    // What a worker does when it picks the job up.
    await api.store.markRunning(id, 1);

    const response = await cancel(id);
    expect(response.statusCode).toBe(202);
    await waitForAnnouncement(id);
    expect((await api.store.get(id))?.status).toBe('canceled');
  });

  it('announces the cancel when a worker locked the queued job in between', async () => {
    // Earlier tests leave jobs waiting; the worker below must pick this one.
    await api.queue.drain();
    const id = await submit('cancel/locked');
    const workerRedis = newRedis();
    const worker = new Worker(api.config.FERRY_QUEUE, null, { connection: workerRedis, autorun: false });
    try {
      const job = await worker.getNextJob('test-token');
      expect(job?.id).toBe(id);
      // The record still says queued: the worker has locked the job but not yet marked it running.
      const response = await cancel(id);
      expect(response.statusCode).toBe(202);
      await waitForAnnouncement(id);
      expect((await api.store.get(id))?.status).toBe('canceled');
    } finally {
      await worker.close(true);
      await workerRedis.quit();
    }
  });

  it('answers 200 for an import already canceled, and announces again', async () => {
    const id = await submit('cancel/twice');
    expect((await cancel(id)).statusCode).toBe(202);
    const again = await cancel(id);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id, status: 'canceled' });
    await waitForAnnouncement(id);
  });

  it.each(['completed', 'failed'] as const)('answers 409 IMPORT_FINISHED for a %s import', async (status) => {
    const id = await submit(`cancel/${status}`);
    await api.store.markRunning(id, 1);
    if (status === 'completed') {
      await api.store.markCompleted(id, {
        size: 1,
        etag: 'e',
        checksum: 'sha256:x',
        partCount: 1,
        durationMs: 1,
      });
    } else {
      await api.store.markFailed(id, { code: 'SOURCE_NOT_FOUND', message: 'gone', attempts: 1 });
    }
    const response = await cancel(id);
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('IMPORT_FINISHED');
    expect((await api.store.get(id))?.status).toBe(status);
  });

  it("answers 404 for another tenant's import and leaves it alone", async () => {
    const id = await submit('cancel/other-tenant');
    const response = await cancel(id, 'b');
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('NOT_FOUND');
    expect((await api.store.get(id))?.status).toBe('queued');
    expect(await api.queue.getJob(id)).toBeDefined();
  });

  it('answers 404 for unknown and malformed ids', async () => {
    expect((await cancel('imp_01M89CJT3GM9TWA115JNTASYZE')).statusCode).toBe(404);
    expect((await cancel('nope')).statusCode).toBe(404);
  });

  it('accepts a JSON Content-Type with an empty body', async () => {
    const id = await submit('cancel/content-type');
    const response = await api.call('a', {
      method: 'DELETE',
      url: `/v1/imports/${id}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(202);
  });
});

describe('DELETE /v1/imports/:id of an import still waiting unfed', () => {
  let api: TestApi;
  beforeAll(async () => {
    // A window of one, and the API's own poll far off: the feeding passes below are the only ones.
    api = await startTestApi({ env: { QUEUE_FEED_WINDOW: '1', QUEUE_FEED_POLL_MS: '60000' } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('cancels it with no job to remove, and the feeder never gives it one', async () => {
    const submit = async (key: string): Promise<string> =>
      (await api.call('a', { method: 'POST', url: '/v1/imports', payload: importRequest(key) })).json().id;
    const fed = await submit('unfed/first');
    const waiting = await submit('unfed/second');
    expect(await api.queue.getJob(fed)).toBeDefined();
    expect(await api.queue.getJob(waiting)).toBeUndefined();

    const response = await api.call('a', { method: 'DELETE', url: `/v1/imports/${waiting}` });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ id: waiting, status: 'canceled' });
    expect((await api.call('a', { method: 'GET', url: `/v1/imports/${waiting}` })).json().status).toBe(
      'canceled',
    );

    // Room opens (a worker takes the first job): the next pass drops the canceled one, unfed.
    const connection = newRedis();
    const slots = new Worker(api.config.FERRY_QUEUE, null, { connection });
    try {
      expect((await slots.getNextJob('slot-1', { block: false }))?.id).toBe(fed);
      const feeder = new QueueFeeder({ redis: api.redis, queue: api.queue, keys: api.store.keys, window: 1 });
      expect((await feeder.feedOnce()).fed).toEqual([]);
    } finally {
      await slots.close(true);
      connection.disconnect();
    }
    expect(await api.queue.getJob(waiting)).toBeUndefined();
    expect((await new UnfedImports(api.redis, api.store.keys).waiting()).count).toBe(0);
  });
});
