import { describe, expect, it } from 'vitest';
import { rateLimit } from './rate-limits.ts';

const S = 1000;
const limits = {
  scaleUpLimit: { workers: 4, percent: 100, periodS: 15 },
  scaleDownLimit: { workers: 0, percent: 100, periodS: 15 },
};

describe('rateLimit up: the larger of +4 workers or +100% per 15 s', () => {
  it('adds 4 to a small fleet, where 4 is more than 100%', () => {
    expect(rateLimit(0, 40, [], 0, limits)).toEqual({
      workers: 4,
      note: 'limited to 4 (+4 or +100% per 15 s from 0)',
    });
    expect(rateLimit(3, 40, [], 0, limits).workers).toBe(7);
  });

  it('doubles a large fleet, where 100% is more than 4', () => {
    expect(rateLimit(10, 40, [], 0, limits).workers).toBe(20);
  });

  it('counts the changes already made in the period from where it started', () => {
    const changes = [{ at: 100 * S, from: 10, to: 20 }];
    // Within the 15 s period the fleet already doubled: no further step until it ends.
    expect(rateLimit(20, 40, changes, 110 * S, limits).workers).toBe(20);
    expect(rateLimit(20, 40, changes, 115 * S, limits).workers).toBe(40);
  });

  it('lets a proposal within the limit through untouched', () => {
    expect(rateLimit(10, 13, [], 0, limits)).toEqual({ workers: 13 });
  });
});

describe('rateLimit down', () => {
  it('allows up to 100% per 15 s by default', () => {
    expect(rateLimit(40, 1, [], 0, limits)).toEqual({ workers: 1 });
  });

  it('applies the larger of the worker and percent steps of a configured limit', () => {
    const slow = { ...limits, scaleDownLimit: { workers: 2, percent: 10, periodS: 60 } };
    expect(rateLimit(40, 1, [], 0, slow)).toEqual({
      workers: 36,
      note: 'limited to 36 (-2 or -10% per 60 s from 40)',
    });
    expect(rateLimit(10, 1, [], 0, slow).workers).toBe(8);
    const changes = [{ at: 0, from: 40, to: 36 }];
    expect(rateLimit(36, 1, changes, 30 * S, slow).workers).toBe(36);
    expect(rateLimit(36, 1, changes, 60 * S, slow).workers).toBe(32);
  });
});
