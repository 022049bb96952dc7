import { newRedis, uniqueName } from '@ferry/test-support';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportJobData } from '../catalog/import-request.ts';
import type { StoredImportRequest } from '../catalog/stored-import-request.ts';
import { newImportId } from '../ids.ts';
import { createLogger } from '../logger.ts';
import { ImportStore } from '../store/import-store.ts';
import { FeedLoop } from './feed-loop.ts';
import { QueueFeeder } from './queue-feeder.ts';

const request: StoredImportRequest = {
  source: { type: 'http', url: 'https://files.example.com/f.bin' },
  destination: { bucket: 'bucket-1', key: 'k' },
};

describe('FeedLoop (real Redis)', () => {
  let redis: Redis;
  let queue: Queue<ImportJobData>;
  let store: ImportStore;
  let loop: FeedLoop;
  let fed: string[];

  beforeEach(() => {
    redis = newRedis();
    const name = uniqueName('feed-loop');
    queue = new Queue<ImportJobData>(name, { connection: redis });
    store = new ImportStore(redis, name);
    fed = [];
    const feeder = new QueueFeeder({ redis, queue, keys: store.keys, window: 3 });
    // The poll far off: only the calls below feed.
    loop = new FeedLoop(feeder, {
      pollMs: 60_000,
      log: createLogger('test', 'silent'),
      onFed: (ids) => fed.push(...ids),
    });
  });

  afterEach(async () => {
    await loop.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await redis.quit();
  });

  const submit = async (count: number): Promise<string[]> => {
    const records = Array.from({ length: count }, () => store.newRecord(newImportId(), 'tenant-a', request));
    await store.createToFeed(records);
    return records.map((record) => record.id);
  };

  it('feeds on a nudge while the window has room, and a nudge costs nothing once it is full', async () => {
    const [first = ''] = await submit(1);
    await loop.nudge();
    expect(fed).toEqual([first]);

    await submit(5);
    await loop.nudge();
    expect(fed).toHaveLength(3);
    // The last pass found the window full: a nudge does not even look.
    await submit(1);
    await loop.nudge();
    expect(fed).toHaveLength(3);
    // feed() always looks; with no room it feeds nothing.
    await loop.feed();
    expect(fed).toHaveLength(3);
    expect(await queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 1, prioritized: 2 });
  });

  it('runs one pass at a time: calls during a pass share the one after it', async () => {
    await submit(2);
    const calls = Promise.all([loop.feed(), loop.feed(), loop.feed()]);
    await calls;
    expect([...fed].sort()).toHaveLength(2);
    expect(await queue.count()).toBe(2);
  });
});
