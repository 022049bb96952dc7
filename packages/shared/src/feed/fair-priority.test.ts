import { PRIORITY_LIMIT } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { fairPriorities } from './fair-priority.ts';

describe('fairPriorities', () => {
  it("numbers a tenant's jobs from its backlog, so one with nothing outstanding gets 0", () => {
    expect(fairPriorities(['b'], new Map())).toEqual([0]);
    expect(fairPriorities(['b'], new Map([['b', 0]]))).toEqual([0]);
    expect(fairPriorities(['a', 'a', 'a'], new Map([['a', 5]]))).toEqual([5, 6, 7]);
  });

  it('counts each tenant of a mixed list on its own, and leaves the backlogs it was given alone', () => {
    const backlogs = new Map([
      ['a', 10_000],
      ['b', 0],
    ]);
    expect(fairPriorities(['a', 'b', 'a', 'c', 'b'], backlogs)).toEqual([10_000, 0, 10_001, 0, 1]);
    expect([...backlogs]).toEqual([
      ['a', 10_000],
      ['b', 0],
    ]);
  });

  it("stops at BullMQ's highest priority number", () => {
    expect(fairPriorities(['a', 'a'], new Map([['a', PRIORITY_LIMIT - 1]]))).toEqual([
      PRIORITY_LIMIT - 1,
      PRIORITY_LIMIT,
    ]);
    expect(fairPriorities(['a'], new Map([['a', 5_000_000]]))).toEqual([PRIORITY_LIMIT]);
  });

  it('never lets a tenant hold more than k outstanding jobs numbered below k, however its jobs come and go', () => {
    // A seeded walk of submits (batches of 1..20) and finishes in any order, checked after every step.
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const outstanding: number[] = [];
    for (let step = 0; step < 500; step++) {
      if (random() < 0.4) {
        const batch = Array.from({ length: 1 + Math.floor(random() * 20) }, () => 't');
        outstanding.push(...fairPriorities(batch, new Map([['t', outstanding.length]])));
      } else if (outstanding.length > 0) {
        outstanding.splice(Math.floor(random() * outstanding.length), 1);
      }
      const sorted = [...outstanding].sort((x, y) => x - y);
      // The i-th smallest priority (0-based) is at least i: no more than k of them are below k.
      expect(sorted.every((priority, i) => priority >= i)).toBe(true);
    }
  });
});
