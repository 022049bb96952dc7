import type { Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LockWatch } from './lock-watch.ts';

const LOCK_MS = 8000;

describe('LockWatch', () => {
  let expired: string[];
  let watch: LockWatch;

  beforeEach(() => {
    vi.useFakeTimers();
    expired = [];
    watch = new LockWatch({ lockDurationMs: LOCK_MS, onExpired: (id) => expired.push(id) });
  });

  afterEach(() => {
    watch.close();
    vi.useRealTimers();
  });

  /** Runs a job through the guarded processor until `finish` resolves. */
  const run = (id: string) => {
    const finish = Promise.withResolvers<void>();
    const done = watch.guard(() => finish.promise)({ id } as Job);
    return { finish: finish.resolve, done };
  };

  it('reports a job whose lock Redis has not confirmed for three quarters of a period, once', async () => {
    const job = run('a');
    await vi.advanceTimersByTimeAsync(0.75 * LOCK_MS - 1000);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000 + LOCK_MS / 8);
    expect(expired).toEqual(['a']);
    // Reported stays reported, even if a late renewal comes through.
    watch.renewed(['a']);
    await vi.advanceTimersByTimeAsync(3 * LOCK_MS);
    expect(expired).toEqual(['a']);
    job.finish();
    await job.done;
  });

  it('leaves alone a job whose renewals keep being confirmed', async () => {
    const job = run('b');
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(LockWatch.lockRenewTimeMs(LOCK_MS));
      watch.renewed(['b']);
    }
    expect(expired).toEqual([]);
    job.finish();
    await job.done;
  });

  it('watches a job taken again while an earlier run of it still winds down', async () => {
    const earlier = run('e');
    await vi.advanceTimersByTimeAsync(LOCK_MS);
    expect(expired).toEqual(['e']);
    // Stalled and taken again here; the earlier run returns after the new one started.
    const later = run('e');
    earlier.finish();
    await earlier.done;
    await vi.advanceTimersByTimeAsync(LOCK_MS);
    expect(expired).toEqual(['e', 'e']);
    later.finish();
    await later.done;
  });

  it('stops watching a job when its processor returns, even by throwing', async () => {
    const failing = watch.guard(async () => {
      throw new Error('attempt failed');
    });
    await expect(failing({ id: 'c' } as Job)).rejects.toThrow('attempt failed');
    const job = run('d');
    job.finish();
    await job.done;
    await vi.advanceTimersByTimeAsync(2 * LOCK_MS);
    expect(expired).toEqual([]);
  });
});
