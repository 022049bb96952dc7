import { newRedis, uniqueName } from '@ferry/test-support';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportJobData } from '../catalog/import-request.ts';
import type { StoredImportRequest } from '../catalog/stored-import-request.ts';
import { FailpointError, Failpoints } from '../failpoints/failpoints.ts';
import { newImportId } from '../ids.ts';
import { ImportStore } from '../store/import-store.ts';
import { QueueFeeder } from './queue-feeder.ts';
import { UnfedImports } from './unfed-imports.ts';

const request: StoredImportRequest = {
  source: { type: 'http', url: 'https://files.example.com/f.bin' },
  destination: { bucket: 'bucket-1', key: 'k' },
};
const WINDOW = 5;

describe('QueueFeeder (real Redis)', () => {
  let redis: Redis;
  let workerConnection: Redis;
  let name: string;
  let queue: Queue<ImportJobData>;
  let store: ImportStore;
  let unfed: UnfedImports;
  let slots: Worker;
  let clock: number;

  beforeEach(() => {
    redis = newRedis();
    workerConnection = newRedis();
    name = uniqueName('feeder');
    queue = new Queue<ImportJobData>(name, { connection: redis });
    store = new ImportStore(redis, name);
    unfed = new UnfedImports(redis, store.keys);
    // A bare BullMQ worker, fetching by hand: the queue's own scripts decide the order.
    slots = new Worker(name, null, { connection: workerConnection });
    clock = Date.now() - 60_000;
  });

  afterEach(async () => {
    await slots.close(true);
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await redis.quit();
    workerConnection.disconnect();
  });

  const feeder = (failpoints?: Failpoints) =>
    new QueueFeeder({
      redis,
      queue,
      keys: store.keys,
      window: WINDOW,
      ...(failpoints ? { failpoints } : {}),
    });

  /** `count` imports of `tenant` as the API writes them, each a millisecond after the one before. */
  const submit = async (tenant: string, count: number): Promise<string[]> => {
    const records = Array.from({ length: count }, () =>
      store.newRecord(newImportId(clock++), tenant, request),
    );
    await store.createToFeed(records);
    return records.map((record) => record.id);
  };

  /** A worker takes the next job and the import runs: room in the window, one more running. */
  const take = async (token: string): Promise<Job | undefined> => {
    const job = await slots.getNextJob(token, { block: false });
    if (job) await store.markRunning(job.id ?? '', 1);
    return job;
  };

  const jobIds = async (): Promise<string[]> =>
    (await queue.getJobs(['waiting', 'prioritized', 'active'])).map((job) => job.id ?? '').sort();

  it('keeps only the window in BullMQ, feeds tenants in turn, and the rest as workers take jobs', async () => {
    const a = await submit('tenant-a', 20);
    const b = await submit('tenant-b', 3);

    const first = await feeder().feedOnce();
    // Tenants in turn, the one waiting longest first on a tie; each tenant's oldest first.
    expect(first).toEqual({ fed: [a[0], b[0], a[1], b[1], a[2]], full: true, busy: false });
    expect(await queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 2, prioritized: 3 });
    const priorities = await Promise.all(first.fed.map(async (id) => (await queue.getJob(id))?.priority));
    expect(priorities).toEqual([0, 0, 1, 1, 2]);
    expect((await unfed.waiting()).count).toBe(18);
    // Full: nothing more goes in, whatever waits.
    expect(await feeder().feedOnce()).toEqual({ fed: [], full: true, busy: false });

    // Priority decides the order taken: each tenant's first, then each tenant's second.
    expect((await take('slot-1'))?.id).toBe(a[0]);
    expect((await take('slot-2'))?.id).toBe(b[0]);
    // Two slots opened: B has fewer in BullMQ (its b1, running b0) than A (a1, a2, running a0).
    expect((await feeder().feedOnce()).fed).toEqual([b[2], a[3]]);
    expect((await queue.getJob(b[2] ?? ''))?.priority).toBe(2);
    expect((await queue.getJob(a[3] ?? ''))?.priority).toBe(3);

    // B is done feeding; A has the window to itself from here.
    for (let slot = 3; slot <= 7; slot++) await take(`slot-${slot}`);
    expect((await feeder().feedOnce()).fed).toEqual(a.slice(4, 9));
    expect((await unfed.waiting()).count).toBe(11);
    expect(await redis.smembers(store.keys.unfedTenants())).toEqual(['tenant-a']);
  });

  it('drops imports canceled or removed before they were fed, and gives them no job', async () => {
    const [canceled = '', kept = '', removed = '', last = ''] = await submit('tenant-a', 4);
    await store.markCanceled(canceled);
    const removedRecord = await store.get(removed);
    if (removedRecord) await store.deleteMany([removedRecord]);

    expect((await feeder().feedOnce()).fed).toEqual([kept, last]);
    expect(await queue.getJob(canceled)).toBeUndefined();
    expect(await queue.getJob(removed)).toBeUndefined();
    expect(await unfed.waiting()).toEqual({ count: 0, oldestMs: null });
    // An emptied list leaves the set of tenants, in the same step.
    expect(await redis.smembers(store.keys.unfedTenants())).toEqual([]);
  });

  it('leaves nothing lost or doubled when it dies between adding the jobs and dropping their entries', async () => {
    const a = await submit('tenant-a', 8);
    const b = await submit('tenant-b', 2);
    const dying = feeder(new Failpoints(new Map([['feed.after-jobs', 'throw']])));
    await expect(dying.feedOnce()).rejects.toBeInstanceOf(FailpointError);
    const fed = [a[0], b[0], a[1], b[1], a[2]];
    expect(await jobIds()).toEqual([...fed].sort());
    // Their entries are still there: for all the lists say, they were never fed.
    expect((await unfed.waiting()).count).toBe(10);

    // One is taken and starts running before any feeder comes back.
    expect((await take('slot-1'))?.id).toBe(a[0]);

    // The next feeder sees the same heads: adding them again adds nothing (the job id is the import
    // id), and the running one is dropped without a second job. Room for one: each pass spends it on
    // one of those, until the entries left are new ones.
    const next = feeder();
    await next.feedOnce();
    expect(await jobIds()).toEqual([...fed].sort());
    for (let pass = 0; pass < 10 && (await jobIds()).length === fed.length; pass++) await next.feedOnce();
    expect(await jobIds()).toEqual([...fed, a[3]].sort());
    expect((await unfed.waiting()).count).toBe(4);

    // Every import is a job or an entry, once: none lost, none both.
    const entries = [
      ...(await redis.lrange(store.keys.tenantUnfed('tenant-a'), 0, -1)),
      ...(await redis.lrange(store.keys.tenantUnfed('tenant-b'), 0, -1)),
    ];
    const everything = [...(await jobIds()), ...entries].sort();
    expect(everything).toEqual([...a, ...b].sort());
  });

  it('feeds from one process at a time: a pass while another holds the lease does nothing', async () => {
    await submit('tenant-a', 3);
    await redis.set(store.keys.feedLease(), 'another-process', 'PX', 10_000);
    expect(await feeder().feedOnce()).toEqual({ fed: [], full: false, busy: true });
    expect(await queue.count()).toBe(0);
    await redis.del(store.keys.feedLease());
    expect((await feeder().feedOnce()).fed).toHaveLength(3);
    // Released after the pass.
    expect(await redis.exists(store.keys.feedLease())).toBe(0);
  });
});
