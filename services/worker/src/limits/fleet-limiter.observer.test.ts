import { afterEach, describe, expect, it } from 'vitest';
import { ProviderThrottled } from './fleet-limiter.ts';
import { testFleet } from './test-limiters.ts';

const KEY = 'dropbox:app:observer-test';
const never = new AbortController().signal;
let fleet: ReturnType<typeof testFleet>;

afterEach(async () => {
  await fleet.close();
});

describe('FleetLimiter observer (the worker metrics hook)', () => {
  it('hears of the pause a throttle set and of each wait it caused, by key', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1000' });
    const paused: string[] = [];
    const waits: Array<{ key: string; seconds: number }> = [];
    const a = fleet.worker({
      observer: { paused: (key) => paused.push(key), waited: (key, seconds) => waits.push({ key, seconds }) },
    });
    let calls = 0;
    const result = await a.request(
      KEY,
      async () => {
        if (calls++ === 0) throw new ProviderThrottled(200);
        return 'done';
      },
      never,
    );
    expect(result).toBe('done');
    expect(paused).toEqual([KEY]);
    expect(waits).toHaveLength(1);
    expect(waits[0]?.key).toBe(KEY);
    expect(waits[0]?.seconds).toBeGreaterThanOrEqual(0.15);
  });

  it('hears nothing of a request that was never held back', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1000' });
    const heard: string[] = [];
    const a = fleet.worker({
      observer: { paused: (key) => heard.push(key), waited: (key) => heard.push(key) },
    });
    await a.request(KEY, async () => 'done', never);
    expect(heard).toEqual([]);
  });
});
