import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, readPausedAccounts } from '@ferry/shared';
import { newRedis } from '@ferry/test-support';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FleetLimiter, ProviderThrottled, RateLimitedError } from './fleet-limiter.ts';
import { testFleet } from './test-limiters.ts';

const KEY = 'gdrive:client:pause-test';
const never = new AbortController().signal;
let fleet: ReturnType<typeof testFleet>;

/**
 * Polls a worker until it sees the key paused. `seenAt` is no earlier than the pause began;
 * `pauseEnd` no later than it ends (the reply's round trip taken off).
 */
async function pauseSeenBy(worker: FleetLimiter): Promise<{ seenAt: number; pauseEnd: number }> {
  for (;;) {
    const sent = Date.now();
    const until = await worker.pausedUntil(KEY);
    const seenAt = Date.now();
    if (until !== null) return { seenAt, pauseEnd: until - (seenAt - sent) - 1 };
  }
}

afterEach(async () => {
  await fleet.close();
});

describe('FleetLimiter pauses', () => {
  it('names the paused key where the operator pages look (readPausedAccounts), until the pause ends', async () => {
    fleet = testFleet({ GDRIVE_RATE_LIMIT_PER_S: '1000' });
    const worker = fleet.worker();
    let answered = 0;
    const throttled = worker.request(
      KEY,
      async () => {
        if (answered++ === 0) throw new ProviderThrottled(300);
        return 'done';
      },
      never,
    );
    await pauseSeenBy(worker);
    const redis = newRedis();
    try {
      const paused = await readPausedAccounts(redis, fleet.queue);
      expect(paused.map((pause) => pause.account)).toEqual([KEY]);
      expect(await throttled).toBe('done');
      expect(await readPausedAccounts(redis, fleet.queue)).toEqual([]);
    } finally {
      await redis.quit();
    }
  });

  it('pauses a throttled key for every worker for the Retry-After, then tries the call again', async () => {
    fleet = testFleet({ GDRIVE_RATE_LIMIT_PER_S: '1000' });
    const [a, b] = [fleet.worker(), fleet.worker()];
    const calls: { worker: string; at: number }[] = [];
    let answered = 0;
    const throttledOnce = a.request(
      KEY,
      async () => {
        calls.push({ worker: 'a', at: Date.now() });
        if (answered++ === 0) throw new ProviderThrottled(400);
        return 'done';
      },
      never,
    );
    const { pauseEnd } = await pauseSeenBy(b);
    // Requests issued on the other worker during the pause.
    const others = Array.from({ length: 5 }, () =>
      b.request(KEY, async () => void calls.push({ worker: 'b', at: Date.now() }), never),
    );
    await expect(throttledOnce).resolves.toBe('done');
    await Promise.all(others);
    const after = calls.slice(1);
    expect(after.map((call) => call.worker).sort()).toEqual(['a', 'b', 'b', 'b', 'b', 'b']);
    for (const call of after) expect(call.at).toBeGreaterThanOrEqual(pauseEnd);
    expect(await a.pausedUntil(KEY)).toBeNull();
  });

  it('holds back requests already queued for their turn when the pause begins', async () => {
    fleet = testFleet({ GDRIVE_RATE_LIMIT_PER_S: '20' });
    const [a, b] = [fleet.worker(), fleet.worker()];
    let first = true;
    const throttled = a.request(
      KEY,
      async () => {
        if (!first) return;
        first = false;
        await sleep(250);
        throw new ProviderThrottled(400);
      },
      never,
    );
    await sleep(10);
    const starts: number[] = [];
    const queued = Array.from({ length: 10 }, () =>
      b.request(KEY, async () => void starts.push(Date.now()), never),
    );
    const { seenAt, pauseEnd } = await pauseSeenBy(b);
    await Promise.all([throttled, ...queued]);
    // A request whose pause check answered just before the pause was set may start a moment later.
    expect(starts.filter((at) => at > seenAt + 20 && at < pauseEnd)).toEqual([]);
    expect(starts.filter((at) => at < seenAt).length).toBeGreaterThan(0);
    expect(starts.filter((at) => at >= pauseEnd).length).toBeGreaterThan(0);
  });

  it('backs off longer with each throttle in a row when there is no Retry-After', async () => {
    fleet = testFleet(
      { GDRIVE_RATE_LIMIT_PER_S: '1000' },
      { backoff: { baseMs: 100, capMs: 300 }, random: () => 1 },
    );
    const worker = fleet.worker();
    const calls: number[] = [];
    await worker.request(
      KEY,
      async () => {
        calls.push(performance.now());
        if (calls.length <= 4) throw new ProviderThrottled(null);
      },
      never,
    );
    const gaps = calls.slice(1).map((at, i) => at - (calls[i] ?? 0));
    const expected = [100, 200, 300, 300];
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual((expected[i] ?? 0) - 1);
  });

  it('gives up with RATE_LIMITED and the retry time when the pause is longer than a request may wait', async () => {
    fleet = testFleet({ GDRIVE_RATE_LIMIT_PER_S: '1000', RATE_LIMIT_MAX_WAIT_S: '1' });
    const [a, b] = [fleet.worker(), fleet.worker()];
    let calls = 0;
    const before = Date.now();
    const failure = await a
      .request(
        KEY,
        async () => {
          calls++;
          throw new ProviderThrottled(5000);
        },
        never,
      )
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RateLimitedError);
    expect((failure as RateLimitedError).code).toBe(ErrorCode.RATE_LIMITED);
    expect((failure as RateLimitedError).retryable).toBe(true);
    expect((failure as RateLimitedError).retryAt).toBeGreaterThanOrEqual(before + 5000 - 50);
    expect(calls).toBe(1);
    // The other worker does not even try while the key is paused.
    const other = await b.request(KEY, async () => calls++, never).catch((error: unknown) => error);
    expect(other).toBeInstanceOf(RateLimitedError);
    expect(calls).toBe(1);
  });

  it('stops waiting out a pause when the signal aborts', async () => {
    fleet = testFleet({ GDRIVE_RATE_LIMIT_PER_S: '1000' });
    const worker = fleet.worker();
    await worker
      .request(
        KEY,
        async () => {
          throw new ProviderThrottled(10_000);
        },
        AbortSignal.timeout(100),
      )
      .catch(() => {});
    expect(await worker.pausedUntil(KEY)).not.toBeNull();
    const abort = new AbortController();
    const called = vi.fn(async () => {});
    const waiting = worker.request(KEY, called, abort.signal);
    setTimeout(() => abort.abort(new Error('canceled')), 100);
    const started = Date.now();
    await expect(waiting).rejects.toThrow('canceled');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(called).not.toHaveBeenCalled();
  });
});
