import { describe, expect, it } from 'vitest';
import { targetTrackingRule } from './target-tracking.ts';

describe('targetTrackingRule', () => {
  it('asks for ceil(running × utilisation / target)', () => {
    expect(targetTrackingRule('cpu', 90, 60, 4, 4, 0.1)).toEqual({
      rule: 'cpu',
      workers: 6,
      detail: 'cpu 90% / target 60% × 4 running → 6',
    });
    expect(targetTrackingRule('memory', 30, 60, 4, 4, 0.1)?.workers).toBe(2);
  });

  it('keeps the current count within the tolerance of the target', () => {
    // 4 running and 2 starting: 65% of a 60% target is within 10%, so all 6 stay.
    const rec = targetTrackingRule('cpu', 65, 60, 4, 6, 0.1);
    expect(rec?.workers).toBe(6);
    expect(rec?.detail).toBe('cpu 65% / target 60% × 4 running → 5, within 10% of target: keep 6');
    expect(targetTrackingRule('cpu', 67, 60, 10, 10, 0.1)?.workers).toBe(12);
  });

  it('has no opinion without a running worker to measure', () => {
    expect(targetTrackingRule('cpu', 0, 60, 0, 2, 0.1)).toBeNull();
  });
});
