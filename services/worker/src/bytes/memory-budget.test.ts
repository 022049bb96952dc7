import { describe, expect, it } from 'vitest';
import { MemoryBudget } from './memory-budget.ts';

const KIB = 1024;
const signal = () => new AbortController().signal;

describe('MemoryBudget', () => {
  it('grants what fits at once and makes the rest wait, first come first served', async () => {
    const budget = new MemoryBudget(1024 * KIB, 256 * KIB);
    const first = await budget.acquire(768 * KIB, signal());
    const order: string[] = [];
    const big = budget.acquire(512 * KIB, signal()).then((lease) => {
      order.push('big');
      return lease;
    });
    // Fits beside `first`, but `big` asked earlier: no overtaking.
    const small = budget.acquire(256 * KIB, signal()).then((lease) => {
      order.push('small');
      return lease;
    });
    await Promise.resolve();
    expect(budget.waiting).toBe(2);
    expect(order).toEqual([]);
    first.release();
    const [bigLease, smallLease] = await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(budget.reserved).toBe(768 * KIB);
    bigLease.release();
    smallLease.release();
    expect(budget.reserved).toBe(0);
  });

  it('clamps a request larger than the whole budget to the budget', async () => {
    const budget = new MemoryBudget(512 * KIB, 256 * KIB);
    const lease = await budget.acquire(10 * 1024 * KIB, signal());
    expect(lease.bytes).toBe(512 * KIB);
    lease.release();
  });

  it('stops waiting when the signal aborts, and lets the next in line through', async () => {
    const budget = new MemoryBudget(512 * KIB, 256 * KIB);
    const held = await budget.acquire(512 * KIB, signal());
    const giveUp = new AbortController();
    const abandoned = budget.acquire(512 * KIB, giveUp.signal);
    const next = budget.acquire(256 * KIB, signal());
    giveUp.abort(new Error('canceled'));
    await expect(abandoned).rejects.toThrow('canceled');
    expect(budget.waiting).toBe(1);
    held.release();
    (await next).release();
    expect(budget.reserved).toBe(0);
  });

  it('hands out no more blocks than the lease holds, and reuses them', async () => {
    const budget = new MemoryBudget(1024 * KIB, 256 * KIB);
    const lease = await budget.acquire(512 * KIB, signal());
    const a = lease.takeBlock();
    const b = lease.takeBlock();
    expect(a?.length).toBe(256 * KIB);
    expect(lease.takeBlock()).toBeNull();
    expect(lease.canTake).toBe(false);
    let returned = 0;
    lease.onBlockReturned = () => returned++;
    lease.giveBlock(a as Buffer);
    expect(returned).toBe(1);
    expect(lease.takeBlock()).toBe(a);
    lease.giveBlock(b as Buffer);
    lease.release();
    // A later lease gets the same memory back instead of new allocations.
    const next = await budget.acquire(512 * KIB, signal());
    expect([a, b]).toContain(next.takeBlock());
    next.release();
  });

  it('never reuses a block still out when its lease is released', async () => {
    const budget = new MemoryBudget(256 * KIB, 256 * KIB);
    const lease = await budget.acquire(256 * KIB, signal());
    const stillWritten = lease.takeBlock();
    lease.release();
    const next = await budget.acquire(256 * KIB, signal());
    expect(next.takeBlock()).not.toBe(stillWritten);
    next.release();
  });

  it('reports how long each lease that had to wait waited, and nothing for one granted at once', async () => {
    const waits: number[] = [];
    const budget = new MemoryBudget(256 * KIB, 256 * KIB, (seconds) => waits.push(seconds));
    const first = await budget.acquire(256 * KIB, signal());
    expect(waits).toEqual([]);
    const second = budget.acquire(256 * KIB, signal());
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.release();
    (await second).release();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(0.015);
  });
});
