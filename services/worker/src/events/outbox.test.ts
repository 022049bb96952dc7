import { ImportStore, SecretBox, sealRequest } from '@ferry/shared';
import { newRedis, serviceEnv, uniqueName } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';

describe('Outbox', () => {
  const redis = newRedis();
  const queue = uniqueName('outbox-test');
  let now = Date.parse('2026-12-04T00:00:00Z');
  const store = new ImportStore(redis, queue, () => new Date(now));
  const outbox = new Outbox(redis, store.keys);
  const box = SecretBox.fromEnv(serviceEnv(queue));

  const finalImport = async (id: string, notify: boolean): Promise<void> => {
    const request = sealRequest(
      {
        source: { type: 'http', url: 'https://files.example.com/a.bin' },
        destination: { bucket: 'ferry-dest', key: 'a.bin' },
        ...(notify ? { notify: { url: 'https://hooks.example.com/h' } } : {}),
      },
      box,
    );
    await store.createMany([store.newRecord(id, 'tenant-x', request)]);
    await store.markCanceled(id);
  };

  beforeAll(async () => {
    await finalImport('imp_webhook', true);
    await finalImport('imp_silent', false);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${store.keys.prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('holds an entry only for the import with a notify target, due at once', async () => {
    expect(await outbox.pending('webhook')).toBe(1);
    expect(await outbox.pending('sqs')).toBe(0);
    expect((await store.get('imp_webhook'))?.notify).toEqual({ status: 'pending', attempts: 0 });
    expect((await store.get('imp_silent'))?.notify).toBeUndefined();
  });

  it('lets one claim at a time hold an entry; a lapsed lease lets the next one take over', async () => {
    const [first, ...more] = await outbox.claimDue('webhook', now, 1000, 10);
    expect(more).toEqual([]);
    expect(first).toMatchObject({ importId: 'imp_webhook', type: 'import.canceled', attempt: 1 });
    // Leased: nobody else gets it meanwhile.
    expect(await outbox.claimDue('webhook', now + 999, 1000, 10)).toEqual([]);

    now += 1000;
    const [second] = await outbox.claimDue('webhook', now, 1000, 10);
    expect(second?.attempt).toBe(2);
    if (!first || !second) throw new Error('no claims');

    // The lapsed claim's outcome no longer counts; the current one's does.
    expect(await outbox.finish(first, { status: 'delivered', attempts: 1 })).toBe(false);
    expect((await store.get('imp_webhook'))?.notify).toEqual({ status: 'pending', attempts: 0 });
    expect(
      await outbox.retryAt(second, now + 5000, 'HTTP 500', {
        status: 'pending',
        attempts: 2,
        lastError: 'HTTP 500',
      }),
    ).toBe(true);
    expect(await outbox.claimDue('webhook', now + 4999, 1000, 10)).toEqual([]);
    const [third] = await outbox.claimDue('webhook', now + 5000, 1000, 10);
    if (!third) throw new Error('no third claim');
    expect(await outbox.finish(third, { status: 'delivered', attempts: 3, deliveredAt: 'then' })).toBe(true);
    expect(await outbox.pending('webhook')).toBe(0);
    expect(await redis.exists(store.keys.outboxEntry('webhook', 'imp_webhook'))).toBe(0);
    expect((await store.get('imp_webhook'))?.notify).toEqual({
      status: 'delivered',
      attempts: 3,
      deliveredAt: 'then',
    });
  });

  it('writes SQS entries while a worker says it publishes there', async () => {
    await redis.set(store.keys.sqsEventsOn(), '1', 'PX', 60_000);
    await finalImport('imp_sqs', false);
    expect(await outbox.pending('sqs')).toBe(1);
    expect(await outbox.pending('webhook')).toBe(0);
  });
});
