import { ImportStore, newImportId, QueueFeeder } from '@ferry/shared';
import { newRedis, uniqueName } from '@ferry/test-support';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bullmqSignals } from './bullmq-signals.ts';

describe('BullMQ signals (real Redis)', () => {
  let redis: Redis;
  let queue: Queue;
  let name: string;

  beforeEach(() => {
    redis = newRedis();
    name = uniqueName('autoscaler-signals');
    queue = new Queue(name, { connection: redis });
  });

  afterEach(async () => {
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    redis.disconnect();
  });

  it('reads an empty queue as no backlog', async () => {
    const source = bullmqSignals({ redis, queues: [name] });
    expect(await source.read(Date.now())).toEqual({
      queues: [
        { queue: name, waiting: 0, prioritized: 0, active: 0, delayedDue: 0, unfed: 0, oldestWaitingAgeS: 0 },
      ],
    });
    await source.close();
  });

  it('counts waiting, prioritized, active and due delayed jobs, and the oldest wait', async () => {
    const created = Date.now();
    await queue.addBulk([
      { name: 'import', data: { n: 1 } },
      { name: 'import', data: { n: 2 } },
      { name: 'import', data: { n: 3 }, opts: { priority: 5 } },
      // Due at +5 s and in an hour: read at +10 s, only the first counts. (Not due sooner: the worker's
      // fetch below would promote a job already due into the waiting list.)
      { name: 'import', data: { n: 4 }, opts: { delay: 5_000 } },
      { name: 'import', data: { n: 5 }, opts: { delay: 3_600_000 } },
    ]);
    // One job taken by a worker (and held: no processor runs it).
    const workerConnection = newRedis();
    const worker = new Worker(name, null, { connection: workerConnection, autorun: false });
    const taken = await worker.getNextJob('token-1');
    expect(taken).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const source = bullmqSignals({ redis, queues: [name] });
    const now = created + 10_000;
    const { queues } = await source.read(now);
    expect(queues).toHaveLength(1);
    const [depth] = queues ?? [];
    expect(depth).toMatchObject({ queue: name, waiting: 1, prioritized: 1, active: 1, delayedDue: 1 });
    // Ten seconds after the jobs were added, the oldest has waited about that long.
    expect(depth?.oldestWaitingAgeS).toBeGreaterThan(9);
    expect(depth?.oldestWaitingAgeS).toBeLessThanOrEqual(10.5);

    await worker.close(true);
    workerConnection.disconnect();
    await source.close();
  });

  it('counts the imports not fed into BullMQ yet, and the oldest of them as the oldest wait', async () => {
    const store = new ImportStore(redis, name);
    const request = {
      source: { type: 'http' as const, url: 'https://files.example.com/f.bin' },
      destination: { bucket: 'b', key: 'k' },
    };
    const created = Date.now() - 60_000;
    const records = Array.from({ length: 5 }, (_, i) =>
      store.newRecord(newImportId(created + i), i < 3 ? 'tenant-a' : 'tenant-b', request),
    );
    await store.createToFeed(records);
    // A window of 2: two are fed as jobs, three wait as records; the autoscaler must see all five.
    const feeder = new QueueFeeder({ redis, queue, keys: store.keys, window: 2 });
    expect((await feeder.feedOnce()).fed).toHaveLength(2);

    const source = bullmqSignals({ redis, queues: [name] });
    const [depth] = (await source.read(Date.now())).queues ?? [];
    // Each tenant's first: both at priority 0, in the plain wait list.
    expect(depth).toMatchObject({ waiting: 2, prioritized: 0, unfed: 3 });
    // Tenants in turn: one of each is fed, so tenant-a's second import (a minute old) waits longest.
    expect(depth?.oldestWaitingAgeS).toBeGreaterThan(59);
    await source.close();
  });

  it('counts a due delayed job as waiting since it came due, not since it was created', async () => {
    await queue.add('import', {}, { delay: 1_000 });
    const source = bullmqSignals({ redis, queues: [name] });
    const before = await source.read(Date.now());
    expect(before.queues?.[0]).toMatchObject({ delayedDue: 0, oldestWaitingAgeS: 0 });
    const later = await source.read(Date.now() + 6_000);
    expect(later.queues?.[0]?.delayedDue).toBe(1);
    expect(later.queues?.[0]?.oldestWaitingAgeS).toBeGreaterThan(4);
    expect(later.queues?.[0]?.oldestWaitingAgeS).toBeLessThanOrEqual(5.5);
    await source.close();
  });

  it('reads several queues, and fails (rather than answer zero) when Redis does not', async () => {
    const other = uniqueName('autoscaler-signals');
    const source = bullmqSignals({ redis, queues: [name, other] });
    expect((await source.read(Date.now())).queues?.map((q) => q.queue)).toEqual([name, other]);
    await source.close();

    const down = newRedis();
    const failing = bullmqSignals({ redis: down, queues: [name] });
    down.disconnect();
    await expect(failing.read(Date.now())).rejects.toThrow();
    await failing.close();
  });
});
