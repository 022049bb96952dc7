import { describe, expect, it } from 'vitest';
import { throttlePauseMs } from './throttle-pause.ts';

const policy = { baseMs: 1000, capMs: 8000 };
const top = () => 1;
const bottom = () => 0;

describe('throttlePauseMs', () => {
  it('pauses for the Retry-After the provider gave', () => {
    expect(throttlePauseMs(1, 2500, policy, top)).toBe(2500);
    expect(throttlePauseMs(7, 120_000, policy, bottom)).toBe(120_000);
  });

  it('doubles the ceiling with each throttle in a row, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => throttlePauseMs(n, null, policy, top))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect(throttlePauseMs(60, null, policy, top)).toBe(8000);
  });

  it('jitters between half the ceiling and the ceiling', () => {
    expect(throttlePauseMs(3, null, policy, bottom)).toBe(2000);
    expect(throttlePauseMs(3, null, policy, () => 0.5)).toBe(3000);
    expect(throttlePauseMs(5, null, policy, bottom)).toBe(4000);
  });

  it('treats a Retry-After of zero as none, so a repeating throttle still backs off', () => {
    expect(throttlePauseMs(3, 0, policy, top)).toBe(4000);
  });
});
