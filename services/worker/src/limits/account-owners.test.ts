import { newRedis, uniqueName } from '@ferry/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { AccountOwners } from './account-owners.ts';

describe('AccountOwners (real Redis)', () => {
  const redis = newRedis();
  afterAll(() => redis.disconnect());

  it('asks the provider once per token for the whole fleet, and keeps no token in Redis', async () => {
    const prefix = `${uniqueName('owners')}:`;
    let lookups = 0;
    const lookup = async () => {
      lookups++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'dbid:owner-1';
    };
    const here = new AccountOwners(redis, prefix);
    // Concurrent imports in one process share the lookup in flight.
    const owners = await Promise.all([1, 2, 3].map(() => here.ownerOf('dropbox', 'digest-a', lookup)));
    expect(owners).toEqual(['dbid:owner-1', 'dbid:owner-1', 'dbid:owner-1']);
    expect(lookups).toBe(1);
    // Another worker process finds it in Redis.
    const elsewhere = new AccountOwners(redis, prefix);
    expect(await elsewhere.ownerOf('dropbox', 'digest-a', lookup)).toBe('dbid:owner-1');
    expect(lookups).toBe(1);
    expect(await redis.keys(`${prefix}*`)).toEqual([`${prefix}owner:dropbox:digest-a`]);
    expect(await redis.ttl(`${prefix}owner:dropbox:digest-a`)).toBeGreaterThan(3600);
    await redis.del(`${prefix}owner:dropbox:digest-a`);
  });

  it('does not remember a failed lookup', async () => {
    const prefix = `${uniqueName('owners')}:`;
    const owners = new AccountOwners(redis, prefix);
    await expect(
      owners.ownerOf('gdrive', 'digest-b', async () => {
        throw new Error('no scope');
      }),
    ).rejects.toThrow('no scope');
    expect(await owners.ownerOf('gdrive', 'digest-b', async () => 'perm-2')).toBe('perm-2');
    await redis.del(`${prefix}owner:gdrive:digest-b`);
  });
});
