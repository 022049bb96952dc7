import { ErrorCode, QueueFeeder, UnfedImports } from '@ferry/shared';
import { newRedis } from '@ferry/test-support';
import { type Job, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importRequest, startTestApi, TENANTS, type TestApi, type Who } from '../testing/api-harness.ts';

/** Ids of the accepted items, in order. */
async function submitBatch(api: TestApi, who: Who, prefix: string, count: number): Promise<string[]> {
  const imports = Array.from({ length: count }, (_, i) => importRequest(`${prefix}/${i}.bin`));
  const response = await api.call(who, { method: 'POST', url: '/v1/imports/batch', payload: { imports } });
  expect(response.statusCode).toBe(200);
  return response.json().results.map((result: { id: string }) => result.id);
}

async function submit(api: TestApi, who: Who, key: string): Promise<string> {
  const response = await api.call(who, { method: 'POST', url: '/v1/imports', payload: importRequest(key) });
  expect(response.statusCode).toBe(202);
  return response.json().id;
}

async function priorityOf(api: TestApi, id: string): Promise<number | undefined> {
  return (await api.queue.getJob(id))?.priority;
}

describe('createImports: fair priorities between tenants', () => {
  let api: TestApi;
  beforeEach(async () => {
    // The API's own poll far off: these tests run the feeding passes that matter, by hand.
    api = await startTestApi({ env: { QUEUE_FEED_POLL_MS: '60000' } });
  });
  afterEach(async () => {
    await api.close();
  });

  it("feeds a tenant's single import into the first slot that opens, ahead of another tenant's 10,000", async () => {
    const backlog: string[] = [];
    for (let batch = 0; batch < 10; batch++)
      backlog.push(...(await submitBatch(api, 'a', `a${batch}`, 1000)));
    expect(backlog).toHaveLength(10_000);
    // Only the window (QUEUE_FEED_WINDOW, 1,000) is in BullMQ: A's first job plainly waiting, the
    // rest numbered 1..999 behind it, and 9,000 imports waiting as records.
    expect(await api.queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 1, prioritized: 999 });
    const unfed = new UnfedImports(api.redis, api.store.keys);
    expect((await unfed.waiting()).count).toBe(9_000);

    // B's import arrives with the window full: it waits as a record, in the first place in line.
    const single = await submit(api, 'b', 'b/single.bin');
    expect(await api.queue.getJob(single)).toBeUndefined();
    expect((await api.call('b', { method: 'GET', url: `/v1/imports/${single}` })).json().status).toBe(
      'queued',
    );

    // A bare BullMQ worker, fetching by hand: the queue's own scripts decide the order. Each job it
    // takes makes room, and a worker's feeder (this one, by hand) fills it.
    const connection = newRedis();
    const slots = new Worker(api.config.FERRY_QUEUE, null, { connection });
    const take = async (token: string): Promise<Job | undefined> => slots.getNextJob(token, { block: false });
    const feeder = new QueueFeeder({
      redis: api.redis,
      queue: api.queue,
      keys: api.store.keys,
      window: api.config.QUEUE_FEED_WINDOW,
    });
    try {
      expect((await take('slot-1'))?.id).toBe(backlog[0]);
      expect((await feeder.feedOnce()).fed).toEqual([single]);
      expect(await priorityOf(api, single)).toBe(0);
      expect((await take('slot-2'))?.id).toBe(single);
      // Then A carries on in its own order, its next unfed imports behind its fed ones.
      expect((await take('slot-3'))?.id).toBe(backlog[1]);
      expect((await feeder.feedOnce()).fed).toEqual([backlog[1000], backlog[1001]]);
      expect(await priorityOf(api, backlog[1000] ?? '')).toBe(1000);
      expect((await take('slot-4'))?.id).toBe(backlog[2]);
    } finally {
      await slots.close(true);
      connection.disconnect();
    }
    expect((await unfed.waiting()).count).toBe(8_998);
  });

  it('keeps a job at its own number when a worker hands it back, as the drain does', async () => {
    const [a0, a1, a2] = await submitBatch(api, 'a', 'handback-a', 3);
    const connection = newRedis();
    const slots = new Worker(api.config.FERRY_QUEUE, null, { connection });
    const take = async (token: string): Promise<Job | undefined> => slots.getNextJob(token, { block: false });
    try {
      expect((await take('slot-1'))?.id).toBe(a0);
      const handedBack = await take('slot-2');
      expect(handedBack?.id).toBe(a1);
      const [b0, b1] = await submitBatch(api, 'b', 'handback-b', 2);
      await handedBack?.moveToDelayed(Date.now(), 'slot-2');
      // Back at 1, behind B's 1 that was there first; in the plain wait list it would come before it.
      const order = [await take('slot-3'), await take('slot-4'), await take('slot-5'), await take('slot-6')];
      expect(order.map((job) => job?.id)).toEqual([b0, b1, a1, a2]);
      expect(order[2]?.priority).toBe(1);
    } finally {
      await slots.close(true);
      connection.disconnect();
    }
  });

  it('numbers by what the tenant has outstanding now: finished and canceled imports stop counting', async () => {
    const [first = '', second = '', third = ''] = await submitBatch(api, 'a', 'drain', 3);
    expect([
      await priorityOf(api, first),
      await priorityOf(api, second),
      await priorityOf(api, third),
    ]).toEqual([0, 1, 2]);

    // Running still counts: it holds a slot.
    expect((await api.store.markRunning(first, 1)).ok).toBe(true);
    expect((await api.call('a', { method: 'DELETE', url: `/v1/imports/${third}` })).statusCode).toBe(202);
    const fourth = await submit(api, 'a', 'drain/4.bin');
    expect(await priorityOf(api, fourth)).toBe(2);

    const failure = { code: ErrorCode.SOURCE_NOT_FOUND, message: 'gone', attempts: 1 };
    expect((await api.store.markFailed(first, failure)).ok).toBe(true);
    expect((await api.call('a', { method: 'DELETE', url: `/v1/imports/${second}` })).statusCode).toBe(202);
    expect(await priorityOf(api, await submit(api, 'a', 'drain/5.bin'))).toBe(1);

    // Once the backlog has drained, it costs nothing: back to the front.
    const { items } = await api.store.list(TENANTS.a, { status: 'queued', limit: 10 });
    expect(items).toHaveLength(2);
    for (const { id } of items) {
      expect((await api.call('a', { method: 'DELETE', url: `/v1/imports/${id}` })).statusCode).toBe(202);
    }
    expect(await priorityOf(api, await submit(api, 'a', 'drain/6.bin'))).toBe(0);
  });

  it('ranks single submits that arrive together as if they came one after the other', async () => {
    // Written together (see CoalescedSubmits): each tenant's still count from 0, one number each.
    const ids = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => submit(api, 'a', `together/a-${i}.bin`)),
      ...Array.from({ length: 4 }, (_, i) => submit(api, 'b', `together/b-${i}.bin`)),
    ]);
    const priorities = await Promise.all(ids.map((id) => priorityOf(api, id)));
    const sorted = (list: Array<number | undefined>) => [...list].sort((x = 0, y = 0) => x - y);
    expect(sorted(priorities.slice(0, 6))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sorted(priorities.slice(6))).toEqual([0, 1, 2, 3]);
    expect((await new UnfedImports(api.redis, api.store.keys).waiting()).count).toBe(0);
  });

  it('gives two submits of one tenant at the same moment distinct numbers', async () => {
    const [left, right] = await Promise.all([
      submitBatch(api, 'a', 'left', 50),
      submitBatch(api, 'a', 'right', 50),
    ]);
    const priorities = await Promise.all([...left, ...right].map((id) => priorityOf(api, id)));
    expect(priorities.sort((x = 0, y = 0) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
