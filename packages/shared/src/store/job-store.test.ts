import { randomBytes } from 'node:crypto';
import { newRedis, uniqueName } from '@ferry/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredImportRequest } from '../catalog/stored-import-request.ts';
import { jobImportId, newJobId } from '../jobs/job-ids.ts';
import type { JobSpec } from '../jobs/job-record.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { SecretKey } from '../secrets/secret-key.ts';
import { ImportStore } from './import-store.ts';
import { JobStore } from './job-store.ts';

const request: StoredImportRequest = {
  source: { type: 'http', url: 'https://example.com/f.bin' },
  destination: { bucket: 'bucket-1', key: 'k' },
};

const spec: JobSpec = {
  manifest: { bucket: 'jobs-1', key: 'm.csv', etag: '"e"', size: 100, format: 'csv' },
  columns: ['url', 'bucket', 'key'],
  dataOffset: 15,
  keyTemplate: null,
  bucket: null,
  report: { bucket: 'jobs-1', key: 'r.csv' },
};

describe('JobStore (real Redis)', () => {
  let redis: Redis;
  let store: ImportStore;
  let jobs: JobStore;
  let queue: string;

  beforeAll(() => {
    redis = newRedis();
    queue = uniqueName('jobs');
    store = new ImportStore(redis, queue);
    jobs = new JobStore(redis, queue);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${store.keys.prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("counts each of a job's imports once, as it turns final, by its outcome", async () => {
    const id = newJobId();
    await jobs.create(id, 'tenant-a', spec);
    const records = [1, 2, 3].map((row) => {
      const record = store.newRecord(jobImportId(id, row), 'tenant-a', request);
      record.jobId = id;
      return record;
    });
    await store.createMany(records);
    expect(await jobs.openCount(id)).toBe(3);
    const [done, failed, canceled] = records.map((record) => record.id) as [string, string, string];

    await store.markRunning(done, 1);
    await store.markCompleted(done, { size: 7, etag: 'e', checksum: 'crc32:0', partCount: 1, durationMs: 1 });
    await store.markFailed(failed, { code: 'SOURCE_NOT_FOUND', message: 'HTTP 404', attempts: 1 });
    await store.markCanceled(canceled);
    // Refused transitions of final imports count nothing.
    await store.markCanceled(done);
    await store.markFailed(canceled, { code: 'INTERNAL', message: 'x', attempts: 1 });

    const job = await jobs.get(id);
    expect(job?.files).toEqual({ done: 1, failed: 1, skipped: 1 });
    expect(job?.bytes).toEqual({ done: 7, failed: 0, skipped: 0 });
    expect(await jobs.openCount(id)).toBe(0);
    expect((await store.get(done))?.jobId).toBe(id);
  });

  it('counts an import the overwrite policy skipped as skipped, with its size, not as done', async () => {
    const id = newJobId();
    await jobs.create(id, 'tenant-a', spec);
    const records = [1, 2].map((row) => {
      const record = store.newRecord(jobImportId(id, row), 'tenant-a', request);
      record.jobId = id;
      return record;
    });
    await store.createMany(records);
    const [left, written] = records.map((record) => record.id) as [string, string];
    const result = { etag: 'e', checksum: 'crc32:0', partCount: 1, durationMs: 1 };
    await store.markRunning(left, 1);
    await store.markCompleted(left, { ...result, size: 5, skipped: true, skipReason: 'exists' });
    await store.markRunning(written, 1);
    await store.markCompleted(written, { ...result, size: 9 });

    const job = await jobs.get(id);
    expect(job?.files).toEqual({ done: 1, failed: 0, skipped: 1 });
    expect(job?.bytes).toEqual({ done: 9, failed: 0, skipped: 5 });
  });

  it('moves the cursor only from where it was, and only while running', async () => {
    const id = newJobId();
    await jobs.create(id, 'tenant-a', spec);
    const step = {
      fromOffset: 15,
      toOffset: 60,
      rows: 2,
      done: false,
      rowErrors: new Map([[2, { code: 'VALIDATION_FAILED' as const, message: 'row 2: bad' }]]),
    };
    expect(await jobs.advance(id, step)).toBe(true);
    // A second expander that read the same window finds the cursor moved: nothing counts twice.
    expect(await jobs.advance(id, step)).toBe(false);
    let job = await jobs.get(id);
    expect(job?.cursor).toEqual({ offset: 60, rows: 2 });
    expect(job?.files.failed).toBe(1);
    expect(await jobs.rowErrors(id, [1, 2])).toEqual(
      new Map([[2, { code: 'VALIDATION_FAILED', message: 'row 2: bad' }]]),
    );

    expect(
      await jobs.advance(id, {
        ...step,
        fromOffset: 60,
        toOffset: 100,
        rows: 1,
        done: true,
        rowErrors: new Map(),
      }),
    ).toBe(true);
    job = await jobs.get(id);
    expect(job).toMatchObject({ expansionDone: true, rowsTotal: 3 });

    expect(await jobs.cancel(id)).toEqual({ ok: true, previous: 'running' });
    expect(await jobs.advance(id, { ...step, fromOffset: 100 })).toBe(false);
    if (!job) throw new Error('no job');
    expect(await jobs.finish({ ...job, status: 'canceling' }, 0, 3)).toEqual({
      ok: true,
      previous: 'canceling',
    });
    expect((await jobs.get(id))?.status).toBe('canceled');
    expect(await jobs.active(100)).not.toContain(id);
  });

  it('lets one owner hold a lease at a time', async () => {
    const id = newJobId();
    expect(await jobs.tryLease(id, 'a', 10_000)).toBe(true);
    expect(await jobs.tryLease(id, 'b', 10_000)).toBe(false);
    expect(await jobs.renewLease(id, 'b', 10_000)).toBe(false);
    await jobs.releaseLease(id, 'b');
    expect(await jobs.tryLease(id, 'b', 10_000)).toBe(false);
    await jobs.releaseLease(id, 'a');
    expect(await jobs.tryLease(id, 'b', 10_000)).toBe(true);
  });

  it("claims a job create's Idempotency-Key once, per tenant, apart from import submits' keys", async () => {
    const box = new SecretBox(new SecretKey(randomBytes(32)));
    const [first, second] = [newJobId(), newJobId()];
    expect(await jobs.claimIdempotencyKey('tenant-a', 'k-1', first, box.fingerprint('a'))).toEqual({
      id: first,
      fresh: true,
      sameBody: true,
    });
    expect(await jobs.claimIdempotencyKey('tenant-a', 'k-1', second, box.fingerprint('a'))).toEqual({
      id: first,
      fresh: false,
      sameBody: true,
    });
    expect((await jobs.claimIdempotencyKey('tenant-a', 'k-1', second, box.fingerprint('b'))).sameBody).toBe(
      false,
    );
    expect((await jobs.claimIdempotencyKey('tenant-b', 'k-1', second, box.fingerprint('a'))).fresh).toBe(
      true,
    );
    // The same key on an import submit is its own.
    expect((await store.claimIdempotencyKey('tenant-a', 'k-1', 'imp_X', box.fingerprint('a'))).fresh).toBe(
      true,
    );
    await jobs.releaseIdempotencyKey('tenant-a', 'k-1');
    expect((await jobs.claimIdempotencyKey('tenant-a', 'k-1', second, box.fingerprint('b'))).fresh).toBe(
      true,
    );
    expect(await jobs.status(first)).toBeNull();
  });
});
