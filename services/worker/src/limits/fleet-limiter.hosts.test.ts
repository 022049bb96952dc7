import { afterEach, describe, expect, it } from 'vitest';
import {
  type FleetLimiter,
  ProviderThrottled,
  RateLimitedError,
  UNLISTED_HOSTS_LABEL,
} from './fleet-limiter.ts';
import { hostLimitKey } from './limit-key.ts';
import { testFleet } from './test-limiters.ts';

const never = new AbortController().signal;
const LISTED = hostLimitKey(new URL('https://listed.example/a'));
const UNLISTED = hostLimitKey(new URL('https://unlisted.example/a'));
let fleet: ReturnType<typeof testFleet>;

afterEach(async () => {
  await fleet.close();
});

/** Starts `count` downloads on `key` and answers once every one of them holds a slot. */
async function holdDownloads(workers: FleetLimiter[], key: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => workers[i % workers.length]?.download(key, async () => i, never)),
  );
}

describe('FleetLimiter for plain HTTP origins (HTTP_HOST_LIMITS)', () => {
  it("caps a listed host's downloads across workers, and the default caps every other host", async () => {
    fleet = testFleet({ HTTP_HOST_LIMITS: 'default=3/1000,listed.example=1/1000' });
    const workers = [fleet.worker(), fleet.worker()];
    let inFlight = 0;
    let most = 0;
    const download = async (worker: FleetLimiter) => {
      const { release } = await worker.download(
        LISTED,
        async () => {
          inFlight++;
          most = Math.max(most, inFlight);
          return 'body';
        },
        never,
      );
      // Read the body on a later turn of the event loop; the slot stays taken until then.
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      release();
    };
    await Promise.all(workers.flatMap((worker) => [1, 2, 3].map(() => download(worker))));
    expect(most).toBe(1);

    const held = await holdDownloads(workers, UNLISTED, 3);
    const fourth = workers[0]?.download(UNLISTED, async () => 'fourth', AbortSignal.timeout(300));
    await expect(fourth).rejects.toThrow();
    for (const slot of held) slot?.release();
  });

  it('holds no slot and takes no turn for a host without limits, but honours its pause', async () => {
    fleet = testFleet({ RATE_LIMIT_MAX_WAIT_S: '0' });
    const [a, b] = [fleet.worker(), fleet.worker()];
    // Unset, hosts are not limited: far more downloads than any default would allow are held at once.
    const held = await holdDownloads([a, b], UNLISTED, 40);
    expect(held).toHaveLength(40);
    for (const slot of held) slot?.release();

    const throttled = a.request(
      UNLISTED,
      async () => {
        throw new ProviderThrottled(60_000);
      },
      never,
    );
    await expect(throttled).rejects.toBeInstanceOf(RateLimitedError);
    let asked = false;
    const other = b.request(
      UNLISTED,
      async () => {
        asked = true;
      },
      never,
    );
    await expect(other).rejects.toBeInstanceOf(RateLimitedError);
    expect(asked).toBe(false);
    expect(await b.pausedUntil(UNLISTED)).toBeGreaterThan(Date.now() + 30_000);
    expect(await b.pausedUntil(LISTED)).toBeNull();
  });

  it('labels metrics with the key of a listed host, and one label for every other host', async () => {
    fleet = testFleet({ HTTP_HOST_LIMITS: 'listed.example=8/1000', RATE_LIMIT_MAX_WAIT_S: '0' });
    const paused: string[] = [];
    const worker = fleet.worker({ observer: { paused: (key) => paused.push(key), waited: () => {} } });
    for (const key of [LISTED, UNLISTED]) {
      const throttled = worker.request(
        key,
        async () => {
          throw new ProviderThrottled(60_000);
        },
        never,
      );
      await expect(throttled).rejects.toBeInstanceOf(RateLimitedError);
    }
    expect(paused).toEqual([LISTED, UNLISTED_HOSTS_LABEL]);
  });
});
