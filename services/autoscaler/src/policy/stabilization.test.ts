import { describe, expect, it } from 'vitest';
import { stabilize } from './stabilization.ts';

const S = 1000;
const windows = { scaleUpStabilizationS: 0, scaleDownStabilizationS: 300 };

describe('stabilize', () => {
  it('scales up at once with a 0 s scale-up window, whatever came before', () => {
    const history = [{ at: 990 * S, workers: 2 }];
    expect(stabilize(2, 9, history, 1000 * S, windows)).toEqual({ workers: 9 });
  });

  it('scales down only to the highest recommendation within the scale-down window', () => {
    const history = [
      { at: 600 * S, workers: 20 }, // 400 s ago: outside the window
      { at: 750 * S, workers: 8 },
      { at: 900 * S, workers: 6 },
    ];
    expect(stabilize(10, 3, history, 1000 * S, windows)).toEqual({
      workers: 8,
      note: 'held at 8: highest recommendation in the 5 min scale-down window',
    });
  });

  it('holds the current count when a recommendation in the window matches it', () => {
    const history = [{ at: 800 * S, workers: 12 }];
    expect(stabilize(10, 3, history, 1000 * S, windows).workers).toBe(10);
  });

  it('drops a recommendation exactly one window old', () => {
    const history = [{ at: 700 * S, workers: 12 }];
    expect(stabilize(10, 3, history, 1000 * S, windows)).toEqual({ workers: 3 });
  });

  it('scales up only to the lowest recommendation within a scale-up window', () => {
    const history = [
      { at: 950 * S, workers: 5 },
      { at: 980 * S, workers: 7 },
    ];
    const config = { scaleUpStabilizationS: 60, scaleDownStabilizationS: 300 };
    expect(stabilize(4, 9, history, 1000 * S, config)).toEqual({
      workers: 5,
      note: 'held at 5: lowest recommendation in the 60 s scale-up window',
    });
  });
});
