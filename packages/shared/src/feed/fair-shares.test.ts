import { describe, expect, it } from 'vitest';
import { fairShares, type TenantBacklog } from './fair-shares.ts';

const backlog = (tenant: string, fed: number, unfed: number, oldest = `imp_${tenant}`): TenantBacklog => ({
  tenant,
  fed,
  unfed,
  oldest,
});

describe('fairShares', () => {
  it("gives a tenant with nothing in BullMQ the first slot, whatever another tenant's backlog", () => {
    expect(fairShares([backlog('a', 999, 100_000, 'imp_01'), backlog('b', 0, 1, 'imp_09')], 1)).toEqual([
      'b',
    ]);
  });

  it('fills the window evenly between tenants alike, the one waiting longest first', () => {
    expect(fairShares([backlog('b', 0, 10, 'imp_02'), backlog('a', 0, 10, 'imp_01')], 5)).toEqual([
      'a',
      'b',
      'a',
      'b',
      'a',
    ]);
  });

  it('levels tenants up from where they stand: the one with fewer in BullMQ catches up first', () => {
    expect(fairShares([backlog('a', 3, 10, 'imp_01'), backlog('b', 1, 10, 'imp_02')], 6)).toEqual([
      'b',
      'b',
      'a',
      'b',
      'a',
      'b',
    ]);
  });

  it('gives no tenant more than it has waiting, and stops when nobody has any', () => {
    expect(fairShares([backlog('a', 0, 2), backlog('b', 0, 0), backlog('c', 5, 1)], 10)).toEqual([
      'a',
      'a',
      'c',
    ]);
    expect(fairShares([], 10)).toEqual([]);
    expect(fairShares([backlog('a', 0, 5)], 0)).toEqual([]);
  });
});
