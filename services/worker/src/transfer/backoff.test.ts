import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

const policy = { baseMs: 500, capMs: 10_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, policy, top))).toEqual([
      499, 999, 1999, 3999, 7999,
    ]);
  });

  it('caps the ceiling', () => {
    expect(backoffDelay(6, policy, () => 0.999_999)).toBe(9999);
    expect(backoffDelay(60, policy, () => 0.5)).toBe(5000);
  });

  it('spreads delays uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.25)).toBe(500);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(1000);
  });
});
