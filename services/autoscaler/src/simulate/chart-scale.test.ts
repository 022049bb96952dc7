import { describe, expect, it } from 'vitest';
import { niceStep, sharedTicks, timeAxis } from './chart-scale.ts';

describe('chart scales', () => {
  it('rounds steps up to 1, 2, 2.5 or 5 × 10^n, whole when asked', () => {
    expect(niceStep(0.3, false)).toBe(0.5);
    expect(niceStep(13, false)).toBe(20);
    expect(niceStep(2.2, false)).toBe(2.5);
    expect(niceStep(2.2, true)).toBe(5);
    expect(niceStep(0.3, true)).toBe(1);
    expect(niceStep(0, true)).toBe(1);
  });

  it('gives two axes the same number of divisions, picking the tightest fit', () => {
    expect(sharedTicks(200, 40)).toEqual({ left: [0, 50, 100, 150, 200], right: [0, 10, 20, 30, 40] });
    const { left, right } = sharedTicks(53, 15);
    expect(left.length).toBe(right.length);
    expect(left.at(-1)).toBeGreaterThanOrEqual(53);
    expect(right.at(-1)).toBeGreaterThanOrEqual(15);
  });

  it('labels time in seconds, minutes or hours by the span', () => {
    expect(timeAxis(120)).toMatchObject({ unitS: 1, title: 'seconds since start' });
    expect(timeAxis(120).ticks).toEqual([0, 15, 30, 45, 60, 75, 90, 105, 120]);
    expect(timeAxis(915)).toMatchObject({ unitS: 60, ticks: [0, 120, 240, 360, 480, 600, 720, 840] });
    expect(timeAxis(24 * 3600)).toMatchObject({ unitS: 3600, title: 'hours since start' });
  });
});
