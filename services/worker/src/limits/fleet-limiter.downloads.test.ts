import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FleetLimiter, ProviderThrottled } from './fleet-limiter.ts';
import { testFleet } from './test-limiters.ts';

const KEY = 'dropbox:app:downloads-test';
const never = new AbortController().signal;
let fleet: ReturnType<typeof testFleet>;

afterEach(async () => {
  await fleet.close();
});

describe('FleetLimiter downloads', () => {
  it('caps the downloads in flight across workers sharing a key', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1000', DROPBOX_MAX_DOWNLOADS: '2' });
    const workers = [fleet.worker(), fleet.worker()];
    let inFlight = 0;
    let most = 0;
    const download = async (worker: FleetLimiter) => {
      const { value, release } = await worker.download(
        KEY,
        async () => {
          inFlight++;
          most = Math.max(most, inFlight);
          return 'body';
        },
        never,
      );
      expect(value).toBe('body');
      // The body is read after the request answered; the slot stays taken until then.
      await sleep(60);
      inFlight--;
      release();
    };
    await Promise.all(workers.flatMap((worker) => [1, 2, 3, 4].map(() => download(worker))));
    expect(most).toBe(2);
  });

  it('gives the slot back when the request fails', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1000', DROPBOX_MAX_DOWNLOADS: '1' });
    const worker = fleet.worker();
    const failing = worker.download(
      KEY,
      async () => {
        throw new Error('connection reset');
      },
      never,
    );
    await expect(failing).rejects.toThrow('connection reset');
    const { release } = await worker.download(KEY, async () => 'next', AbortSignal.timeout(5000));
    release();
  });

  it('holds the slot through a throttle and gets the body after the pause', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1000', DROPBOX_MAX_DOWNLOADS: '1' });
    const worker = fleet.worker();
    const fn = vi.fn<() => Promise<string>>();
    fn.mockRejectedValueOnce(new ProviderThrottled(100)).mockResolvedValue('body');
    const { value, release } = await worker.download(KEY, fn, never);
    expect(value).toBe('body');
    expect(fn).toHaveBeenCalledTimes(2);
    release();
  });

  it('stops waiting for a slot when the signal aborts', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1000', DROPBOX_MAX_DOWNLOADS: '1' });
    const [a, b] = [fleet.worker(), fleet.worker()];
    const held = await a.download(KEY, async () => 'held', never);
    const abort = new AbortController();
    const fn = vi.fn(async () => 'never');
    const waiting = b.download(KEY, fn, abort.signal);
    setTimeout(() => abort.abort(new Error('canceled')), 100);
    await expect(waiting).rejects.toThrow('canceled');
    expect(fn).not.toHaveBeenCalled();
    held.release();
    const next = await b.download(KEY, async () => 'after', AbortSignal.timeout(5000));
    expect(next.value).toBe('after');
    next.release();
  });

  it('gets back the slot of a worker that went away without releasing it, once its lease runs out', async () => {
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '1000', DROPBOX_MAX_DOWNLOADS: '1' }, { slotLeaseMs: 800 });
    const [gone, survivor] = [fleet.worker(), fleet.worker()];
    await gone.download(KEY, async () => 'never released', never);
    // Held slots are renewed while their worker lives: well past one lease, the slot is still taken.
    const early = survivor.download(KEY, async () => 'too early', AbortSignal.timeout(1000));
    await expect(early).rejects.toThrow();
    await gone.close();
    const started = Date.now();
    const { value, release } = await survivor.download(
      KEY,
      async () => 'recovered',
      AbortSignal.timeout(5000),
    );
    expect(value).toBe('recovered');
    expect(Date.now() - started).toBeLessThan(5000);
    release();
  });
});
