import { createRedis } from '@ferry/shared';
import { testRedisUrl } from '@ferry/test-support';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { testFleet } from './test-limiters.ts';

const KEY = 'dropbox:app:connection-test';
let fleet: ReturnType<typeof testFleet>;

afterEach(async () => {
  await fleet.close();
});

describe('FleetLimiter connection', () => {
  it('connects to Redis on the first provider request, not before, and refuses requests once closed', async () => {
    const made: Redis[] = [];
    fleet = testFleet();
    const limiter = fleet.worker({
      redis: () => {
        const client = createRedis(testRedisUrl(), { blocking: true, name: 'limits-connection-test' });
        made.push(client);
        return client;
      },
    });
    expect(made).toHaveLength(0);

    const signal = new AbortController().signal;
    await expect(limiter.request(KEY, async () => 'answered', signal)).resolves.toBe('answered');
    await expect(limiter.request(KEY, async () => 'again', signal)).resolves.toBe('again');
    expect(made).toHaveLength(1);

    await limiter.close();
    await expect.poll(() => made[0]?.status).toBe('end');
    await expect(limiter.request(KEY, async () => 'late', signal)).rejects.toThrow(/closed/);
    expect(made).toHaveLength(1);
  });

  it('closes without ever connecting when no provider request came', async () => {
    let made = 0;
    fleet = testFleet();
    const limiter = fleet.worker({
      redis: () => {
        made++;
        return createRedis(testRedisUrl(), { blocking: true, name: 'limits-connection-test' });
      },
    });
    await limiter.close();
    expect(made).toBe(0);
  });
});
