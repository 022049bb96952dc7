import { StoreKeys } from '@ferry/shared';
import { newRedis, uniqueName } from '@ferry/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from './checkpoint.ts';

describe('CheckpointStore (real Redis)', () => {
  let redis: Redis;
  let checkpoints: CheckpointStore;
  const keys = new StoreKeys(uniqueName('checkpoint'));
  const header = { uploadId: 'u-1', bucket: 'b', key: 'k', version: '"v1"', size: 20, partSize: 8 };

  beforeAll(() => {
    redis = newRedis();
    checkpoints = new CheckpointStore(redis, keys);
  });

  afterAll(async () => {
    const found = await redis.keys(`${keys.prefix}*`);
    if (found.length > 0) await redis.del(...found);
    redis.disconnect();
  });

  it('keeps the header and each finished part under the queue prefix, with an expiry', async () => {
    await checkpoints.begin('imp-1', header);
    await checkpoints.recordPart('imp-1', { partNumber: 2, etag: '"e2"', crc32: 0xdeadbeef, size: 8 });
    await checkpoints.recordPart('imp-1', { partNumber: 1, etag: '"e1"', crc32: 7, size: 8 });
    const loaded = await checkpoints.load('imp-1');
    expect(loaded).toMatchObject(header);
    expect([...(loaded?.parts.values() ?? [])].sort((a, b) => a.partNumber - b.partNumber)).toEqual([
      { partNumber: 1, etag: '"e1"', crc32: 7, size: 8 },
      { partNumber: 2, etag: '"e2"', crc32: 0xdeadbeef, size: 8 },
    ]);
    expect(checkpoints.key('imp-1').startsWith(keys.prefix)).toBe(true);
    expect(await redis.ttl(checkpoints.key('imp-1'))).toBeGreaterThan(0);
  });

  it('starts a fresh checkpoint on begin and forgets it on delete', async () => {
    await checkpoints.begin('imp-2', header);
    await checkpoints.recordPart('imp-2', { partNumber: 1, etag: '"e1"', crc32: 7, size: 8 });
    await checkpoints.begin('imp-2', { ...header, uploadId: 'u-2' });
    expect((await checkpoints.load('imp-2'))?.parts.size).toBe(0);
    await checkpoints.delete('imp-2');
    expect(await checkpoints.load('imp-2')).toBeNull();
  });

  it('reconciles parts only for the upload the reconciliation was computed for', async () => {
    await checkpoints.begin('imp-4', header);
    await checkpoints.recordPart('imp-4', { partNumber: 1, etag: '"e1"', crc32: 7, size: 8 });
    await checkpoints.recordPart('imp-4', { partNumber: 2, etag: '"e2"', crc32: 8, size: 8 });
    const changes = { drop: [1], adopt: [{ partNumber: 3, etag: '"e3"', crc32: 9, size: 4 }] };
    expect(await checkpoints.reconcile('imp-4', 'another-upload', changes)).toBe(false);
    expect([...((await checkpoints.load('imp-4'))?.parts.keys() ?? [])].sort()).toEqual([1, 2]);

    expect(await checkpoints.reconcile('imp-4', header.uploadId, changes)).toBe(true);
    const loaded = await checkpoints.load('imp-4');
    expect([...(loaded?.parts.keys() ?? [])].sort()).toEqual([2, 3]);
    expect(loaded?.parts.get(3)).toEqual({ partNumber: 3, etag: '"e3"', crc32: 9, size: 4 });
    expect(await checkpoints.reconcile('imp-missing', header.uploadId, changes)).toBe(false);
    expect(await redis.exists(checkpoints.key('imp-missing'))).toBe(0);
  });

  it('ignores a hash without a header (a part recorded after the checkpoint was deleted)', async () => {
    await checkpoints.recordPart('imp-3', { partNumber: 1, etag: '"e1"', crc32: 7, size: 8 });
    expect(await checkpoints.load('imp-3')).toBeNull();
  });
});
