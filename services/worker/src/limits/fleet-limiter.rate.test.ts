import { afterEach, describe, expect, it, vi } from 'vitest';
import { testFleet } from './test-limiters.ts';

const KEY = 'dropbox:app:rate-test';
let fleet: ReturnType<typeof testFleet>;

afterEach(async () => {
  await fleet.close();
});

/** The most starts within any `windowMs`. */
function busiestWindow(starts: number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe('FleetLimiter request rate', () => {
  it('holds two workers sharing a key to the key’s requests per second together', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '20' });
    const workers = [fleet.worker(), fleet.worker()];
    const starts: number[] = [];
    const signal = new AbortController().signal;
    await Promise.all(
      workers.flatMap((worker) =>
        Array.from({ length: 20 }, () =>
          worker.request(KEY, async () => void starts.push(performance.now()), signal),
        ),
      ),
    );
    expect(starts).toHaveLength(40);
    // 40 turns 50 ms apart span at least 39 gaps; each worker alone would have done it in half that.
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(39 * 50 - 100);
    // Timers that fire late can bunch a few turns; twice the rate cannot come from slack.
    expect(busiestWindow(starts, 1000)).toBeLessThanOrEqual(28);
  });

  it('spaces requests by when they leave: turns a lagging event loop bunched do not go out together', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '10' });
    const worker = fleet.worker();
    const signal = new AbortController().signal;
    await worker.request(KEY, async () => {}, signal);
    const starts: number[] = [];
    const requests = Array.from({ length: 5 }, () =>
      worker.request(KEY, async () => void starts.push(performance.now()), signal),
    );
    // Let the turns be handed out in Redis, then block this process past all of them: their local
    // timers all fire at once when it lets go, as after a long garbage collection.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const blockedUntil = performance.now() + 800;
    while (performance.now() < blockedUntil) {
      // busy: the event loop lags
    }
    await Promise.all(requests);
    // They leave 100 ms apart on Redis's clock, so 5 span 400 ms, less this process's latency in
    // answering the first (bunched, they would all start within a millisecond).
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(4 * 100 - 100);
  });

  it('applies a per-key override instead of the provider default', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1000', RATE_LIMIT_OVERRIDES: `${KEY}=10/1` });
    const worker = fleet.worker();
    const starts: number[] = [];
    const signal = new AbortController().signal;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        worker.request(KEY, async () => void starts.push(performance.now()), signal),
      ),
    );
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(5 * 100 - 50);
  });

  it('stops waiting for a turn when the signal aborts', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1' });
    const worker = fleet.worker();
    const signal = new AbortController().signal;
    await worker.request(KEY, async () => 'first', signal);
    const abort = new AbortController();
    const called = vi.fn(async () => {});
    const waiting = worker.request(KEY, called, abort.signal);
    setTimeout(() => abort.abort(new Error('stop')), 50);
    await expect(waiting).rejects.toThrow('stop');
    expect(called).not.toHaveBeenCalled();
  });
});
