import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@ferry/shared';
import { logCapture, newRedis, uniqueName } from '@ferry/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { DownloadSlots } from './download-slots.ts';
import { limitsPrefix } from './fleet-limiter.ts';

const LEASE_MS = 300;
const KEY = 'dropbox:app:lease-test';
const never = new AbortController().signal;

describe('DownloadSlots (real Redis)', () => {
  const redis = newRedis();
  const prefix = limitsPrefix(uniqueName('slots'));
  const slotsKey = `${prefix}slots:${KEY}`;
  const workers: Array<{ slots: DownloadSlots; lines: ReturnType<typeof logCapture>['lines'] }> = [];
  const worker = () => {
    const log = logCapture();
    const slots = new DownloadSlots({
      client: newRedis(),
      prefix,
      leaseMs: LEASE_MS,
      logger: createLogger('worker', 'warn', log.stream),
    });
    workers.push({ slots, lines: log.lines });
    return workers[workers.length - 1] as (typeof workers)[number];
  };

  afterAll(async () => {
    await Promise.all(workers.map(({ slots }) => slots.close()));
    await redis.del(slotsKey);
    redis.disconnect();
  });

  it('a lease that ran out while held (a blocked event loop) is said once, never renewed back, and its release leaves the new holder alone', async () => {
    const first = worker();
    const second = worker();
    const held = await first.slots.acquire(KEY, 1, never);
    const [firstLease = ''] = await redis.zrange(slotsKey, '0', '-1');

    // What a first worker blocked past its lease looks like from Redis: the lease has run out, and
    // the second worker sweeps it away and takes the only slot.
    await redis.zadd(slotsKey, 'XX', 0, firstLease);
    const taken = await second.slots.acquire(KEY, 1, never);
    const [secondLease = ''] = await redis.zrange(slotsKey, '0', '-1');
    expect(secondLease).not.toBe(firstLease);

    // Several renewal rounds of the first worker later: one warning, and the slot still the second's.
    await sleep(LEASE_MS * 2);
    const lost = first.lines.filter((line) => line.msg.includes('lease ran out while held'));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ key: KEY });
    expect(await redis.zrange(slotsKey, '0', '-1')).toEqual([secondLease]);

    held.release();
    await sleep(50);
    expect(await redis.zrange(slotsKey, '0', '-1')).toEqual([secondLease]);
    taken.release();
    await expect.poll(() => redis.zcard(slotsKey)).toBe(0);
    expect(second.lines).toEqual([]);
  });
});
