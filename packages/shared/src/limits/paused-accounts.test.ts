import { newRedis, uniqueName } from '@ferry/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { accountPauseKey, limitsPrefix, readPausedAccounts } from './paused-accounts.ts';

describe('readPausedAccounts', () => {
  const redis = newRedis();
  afterAll(async () => {
    await redis.quit();
  });

  it("lists the queue's paused accounts, longest pause first, and nothing else", async () => {
    const queue = uniqueName('paused');
    const prefix = limitsPrefix(queue);
    // Pauses long enough to outlast the scan on a loaded machine and a crowded test Redis.
    await redis.set(accountPauseKey(prefix, 'dropbox:app:short'), '1', 'PX', 30_000);
    await redis.set(accountPauseKey(prefix, 'gdrive:token:long'), '1', 'PX', 300_000);
    // Not pauses: another limiter key of the queue, and a pause of another queue.
    await redis.set(`${prefix}throttles:dropbox:app:short`, '3', 'PX', 60_000);
    await redis.set(accountPauseKey(limitsPrefix(uniqueName('other')), 'dropbox:app:x'), '1', 'PX', 60_000);

    const paused = await readPausedAccounts(redis, queue);
    expect(paused.map((pause) => pause.account)).toEqual(['gdrive:token:long', 'dropbox:app:short']);
    expect(paused[0]?.remainingMs).toBeGreaterThan(30_000);
    expect(paused[1]?.remainingMs).toBeLessThanOrEqual(30_000);
  });

  it('answers an empty list when no account is paused', async () => {
    expect(await readPausedAccounts(redis, uniqueName('paused'))).toEqual([]);
  });
});
