import { randomBytes } from 'node:crypto';
import { newRedis, uniqueName } from '@ferry/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredImportRequest } from '../catalog/stored-import-request.ts';
import { newImportId } from '../ids.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { SecretKey } from '../secrets/secret-key.ts';
import { ImportStore, stableStringify } from './import-store.ts';

const request: StoredImportRequest = {
  source: { type: 'http', url: 'https://example.com/f.bin' },
  destination: { bucket: 'bucket-1', key: 'k' },
};

describe('ImportStore (real Redis)', () => {
  let redis: Redis;
  let store: ImportStore;

  beforeAll(() => {
    redis = newRedis();
    store = new ImportStore(redis, uniqueName('store'));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('creates, transitions and guards statuses atomically', async () => {
    const record = store.newRecord(newImportId(), 'tenant-a', request);
    await store.createMany([record]);
    expect(await store.markRunning(record.id, 1)).toEqual({ ok: true, previous: 'queued' });
    expect(await store.markCanceled(record.id)).toEqual({ ok: true, previous: 'running' });
    // A worker finishing after the cancel must not overwrite it.
    expect(
      await store.markCompleted(record.id, {
        size: 1,
        etag: 'e',
        checksum: 'sha256:x',
        partCount: 1,
        durationMs: 1,
      }),
    ).toEqual({
      ok: false,
      current: 'canceled',
    });
    expect((await store.get(record.id))?.status).toBe('canceled');
    expect(await store.markRunning('imp_missing', 1)).toEqual({ ok: false, current: null });
  });

  it('writes a new record with only what is its own, and reads it, or one written in full, whole', async () => {
    const created = new Date('2026-12-04T01:02:03.004Z');
    const dated = new ImportStore(redis, uniqueName('store'), () => created);
    const record = dated.newRecord(newImportId(), 'tenant-a', request);
    await dated.createMany([record]);
    expect(Object.keys(await redis.hgetall(dated.keys.record(record.id))).sort()).toEqual([
      'createdAt',
      'request',
      'status',
      'tenant',
    ]);
    expect(await dated.get(record.id)).toEqual(record);

    // An id made in the record's millisecond (as a submit makes both) says createdAt for it.
    const sameInstant = dated.newRecord(newImportId(created.getTime()), 'tenant-a', request);
    await dated.createMany([sameInstant]);
    expect(Object.keys(await redis.hgetall(dated.keys.record(sameInstant.id))).sort()).toEqual([
      'request',
      'status',
      'tenant',
    ]);
    expect(await dated.get(sameInstant.id)).toEqual(sameInstant);

    // As every field of a record was written before: the id among them, which the key repeats.
    const earlier = newImportId();
    await redis.hset(dated.keys.record(earlier), {
      id: earlier,
      tenant: 'tenant-a',
      status: 'running',
      request: JSON.stringify(request),
      createdAt: created.toISOString(),
      updatedAt: '2026-12-04T01:05:00.000Z',
      bytesDone: '5',
      bytesTotal: '10',
      attempts: '2',
    });
    expect(await dated.get(earlier)).toEqual({
      ...record,
      id: earlier,
      status: 'running',
      updatedAt: '2026-12-04T01:05:00.000Z',
      bytesDone: 5,
      bytesTotal: 10,
      attempts: 2,
    });
  });

  it('deletes the keys given with a transition in the same step, and none when it is refused', async () => {
    const result = { size: 1, etag: 'e', checksum: 'crc32:00000001', partCount: 1, durationMs: 1 };
    const done = store.newRecord(newImportId(), 'tenant-a', request);
    const refused = store.newRecord(newImportId(), 'tenant-a', request);
    await store.createMany([done, refused]);
    const checkpointOf = (id: string) => `${store.keys.prefix}checkpoint:${id}`;
    for (const id of [done.id, refused.id]) await redis.hset(checkpointOf(id), 'uploadId', 'u');

    await store.markRunning(done.id, 1);
    expect(await store.markCompleted(done.id, result, [checkpointOf(done.id)])).toEqual({
      ok: true,
      previous: 'running',
    });
    expect(await redis.exists(checkpointOf(done.id))).toBe(0);

    // Still queued: not a record a worker may complete.
    expect(await store.markCompleted(refused.id, result, [checkpointOf(refused.id)])).toEqual({
      ok: false,
      current: 'queued',
    });
    expect(await redis.exists(checkpointOf(refused.id))).toBe(1);
  });

  it('lists a tenant newest first, by status, with a cursor', async () => {
    const tenant = uniqueName('tenant');
    const records = Array.from({ length: 5 }, (_, i) =>
      store.newRecord(newImportId(Date.now() + i), tenant, request),
    );
    await store.createMany(records);
    await store.markRunning(records[1]?.id ?? '', 1);

    const first = await store.list(tenant, { limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual([records[4]?.id, records[3]?.id]);
    const second = await store.list(tenant, { limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.items.map((r) => r.id)).toEqual([records[2]?.id, records[1]?.id]);
    const third = await store.list(tenant, { limit: 2, cursor: second.nextCursor ?? '' });
    expect(third.items.map((r) => r.id)).toEqual([records[0]?.id]);
    expect(third.nextCursor).toBeNull();

    const running = await store.list(tenant, { limit: 10, status: 'running' });
    expect(running.items.map((r) => r.id)).toEqual([records[1]?.id]);
    expect((await store.list('someone-else', { limit: 10 })).items).toEqual([]);
  });

  it('binds an idempotency key to the first import and its body', async () => {
    const box = new SecretBox(new SecretKey(randomBytes(32)));
    const body = (value: unknown) => box.fingerprint(stableStringify(value));
    const tenant = uniqueName('tenant');
    const first = await store.claimIdempotencyKey(tenant, 'key-1', 'imp_A', body({ a: 1, b: 2 }));
    expect(first).toEqual({ importId: 'imp_A', fresh: true, sameBody: true });
    expect(await store.claimIdempotencyKey(tenant, 'key-1', 'imp_B', body({ b: 2, a: 1 }))).toEqual({
      importId: 'imp_A',
      fresh: false,
      sameBody: true,
    });
    expect((await store.claimIdempotencyKey(tenant, 'key-1', 'imp_C', body({ a: 2 }))).sameBody).toBe(false);
    // Keys are per tenant.
    expect((await store.claimIdempotencyKey(`${tenant}-other`, 'key-1', 'imp_D', body({ a: 1 }))).fresh).toBe(
      true,
    );
  });

  it('stableStringify ignores key order', () => {
    expect(stableStringify({ b: [1, { d: 1, c: 2 }], a: 'x' })).toBe(
      stableStringify({ a: 'x', b: [1, { c: 2, d: 1 }] }),
    );
  });
});
