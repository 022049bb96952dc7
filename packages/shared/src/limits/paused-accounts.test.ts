import { newRedis, uniqueName } from '@ferry/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { limitsPrefix, readPausedAccounts, recordPause } from './paused-accounts.ts';

describe('readPausedAccounts', () => {
  const redis = newRedis();
  afterAll(async () => {
    await redis.quit();
  });

  it("lists the queue's paused accounts, longest pause first, and nothing else", async () => {
    const queue = uniqueName('paused');
    const prefix = limitsPrefix(queue);
    await recordPause(redis, queue, 'dropbox:app:short', 30_000);
    await recordPause(redis, queue, 'gdrive:token:long', 300_000);
    // Not pauses: a pause that has ended, another limiter key of the queue, a pause of another queue.
    await recordPause(redis, queue, 'dropbox:app:over', 1);
    await redis.set(`${prefix}throttles:dropbox:app:short`, '3', 'PX', 60_000);
    await recordPause(redis, uniqueName('other'), 'dropbox:app:x', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 5));

    const paused = await readPausedAccounts(redis, queue);
    expect(paused.map((pause) => pause.account)).toEqual(['gdrive:token:long', 'dropbox:app:short']);
    expect(paused[0]?.remainingMs).toBeGreaterThan(30_000);
    expect(paused[1]?.remainingMs).toBeLessThanOrEqual(30_000);
  });

  it('answers an empty list when no account is paused', async () => {
    expect(await readPausedAccounts(redis, uniqueName('paused'))).toEqual([]);
  });
});
