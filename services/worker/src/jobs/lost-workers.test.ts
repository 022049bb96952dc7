import { ImportStore } from '@ferry/shared';
import { newRedis, uniqueName } from '@ferry/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../transfer/checkpoint.ts';
import { countIdleLostAttempts } from './lost-workers.ts';

const redis = newRedis();
const store = new ImportStore(redis, uniqueName('lost-workers'));
const checkpoints = new CheckpointStore(redis, store.keys);
afterAll(() => redis.quit());

/** A record as the worker finds it; the checkpoint begun with `parts` parts recorded. */
async function importWithParts(parts: number): Promise<string> {
  const id = uniqueName('imp');
  await redis.hset(store.keys.record(id), { id, tenant: 't', status: 'running', request: '{}' });
  await checkpoints.begin(id, { uploadId: 'u', bucket: 'b', key: 'k', version: 'v', size: 50, partSize: 5 });
  for (let n = 1; n <= parts; n++)
    await checkpoints.recordPart(id, { partNumber: n, etag: `"${n}"`, size: 5, crc32: 0 });
  return id;
}

const addPart = (id: string, n: number) =>
  checkpoints.recordPart(id, { partNumber: n, etag: `"${n}"`, size: 5, crc32: 0 });

/** An attempt starts (`stalls` lost before it) and, unless `streamed` is 0, streams some bytes. */
const attempt = async (id: string, stalls: number, streamed = 1024) => {
  const lost = await countIdleLostAttempts(id, stalls, { store, checkpoints });
  await lost.save();
  if (streamed > 0) await store.setProgress(id, streamed, 50, streamed);
  return lost.idle;
};

describe('counting lost attempts that moved nothing', () => {
  it('counts each lost attempt that checkpointed no part, and starts again after one that did', async () => {
    const id = await importWithParts(0);
    const start = (stalls: number) => attempt(id, stalls);
    expect(await start(0)).toBe(0); // the first attempt
    expect(await start(1)).toBe(1); // lost, nothing moved
    expect(await start(2)).toBe(2);
    await addPart(id, 1);
    expect(await start(3)).toBe(0); // lost after moving a part: not the import's doing
    expect(await start(4)).toBe(1);
    await addPart(id, 2);
    await addPart(id, 3);
    expect(await start(4)).toBe(1); // a retry that lost no worker changes nothing
  });

  it('does not count a lost attempt that streamed no byte (it was waiting for a slot or a pause)', async () => {
    const id = await importWithParts(0);
    expect(await attempt(id, 0)).toBe(0);
    expect(await attempt(id, 1, 0)).toBe(1); // lost after streaming: counted; this one streams nothing
    expect(await attempt(id, 2, 0)).toBe(1); // ...so its loss is not counted
    expect(await attempt(id, 3)).toBe(1);
    expect(await attempt(id, 4)).toBe(2); // lost after streaming again
  });

  it('counts every stall as idle when no start was ever recorded (an older worker ran it)', async () => {
    const id = await importWithParts(2);
    expect((await countIdleLostAttempts(id, 4, { store, checkpoints })).idle).toBe(4);
  });

  it('writes nothing until saved, so a job without a record leaves no partial record behind', async () => {
    const id = uniqueName('imp');
    await countIdleLostAttempts(id, 2, { store, checkpoints });
    expect(await redis.exists(store.keys.record(id))).toBe(0);
  });
});
