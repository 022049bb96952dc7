import { describe, expect, it } from 'vitest';
import { holdReversal } from './reversal-hold.ts';

const S = 1000;
const HOLD = 300;

describe('holdReversal', () => {
  const upThenDown = [
    { at: 0, from: 4, to: 10 },
    { at: 400 * S, from: 10, to: 8 }, // turned down at 400 s
  ];

  it('holds a scale-up within the hold after turning down', () => {
    expect(holdReversal(8, 9, upThenDown, 500 * S, HOLD)).toEqual({
      workers: 8,
      note: 'held at 8: turned down 100 s ago, next turn after 5 min unless load needs more than 20',
    });
  });

  it('lets the scale-up through once the hold has passed', () => {
    expect(holdReversal(8, 9, upThenDown, 700 * S, HOLD)).toEqual({ workers: 9 });
  });

  it("lets a surge through: more than double the fleet's largest size during the hold", () => {
    expect(holdReversal(8, 21, upThenDown, 500 * S, HOLD)).toEqual({ workers: 21 });
    expect(holdReversal(8, 20, upThenDown, 500 * S, HOLD).workers).toBe(8);
  });

  it('lets the fleet get back to the count last asked for after losing workers', () => {
    // Asked for 8 at 400 s; a Spot reclaim took two.
    expect(holdReversal(6, 8, upThenDown, 500 * S, HOLD)).toEqual({ workers: 8 });
    expect(holdReversal(6, 9, upThenDown, 500 * S, HOLD).workers).toBe(8);
  });

  it('always starts a fleet at zero', () => {
    const toZero = [
      { at: 0, from: 0, to: 2 },
      { at: 400 * S, from: 2, to: 0 },
    ];
    expect(holdReversal(0, 1, toZero, 410 * S, HOLD)).toEqual({ workers: 1 });
  });

  it('does not count the first change ever, or more steps the same way, as a reversal', () => {
    expect(holdReversal(10, 6, [{ at: 0, from: 4, to: 10 }], 10 * S, HOLD)).toEqual({ workers: 6 });
    const downs = [...upThenDown, { at: 420 * S, from: 8, to: 6 }];
    expect(holdReversal(6, 5, downs, 430 * S, HOLD)).toEqual({ workers: 5 });
    expect(holdReversal(6, 7, downs, 430 * S, HOLD).workers).toBe(6);
  });

  it('holds a scale-down within the hold after turning up', () => {
    const downThenUp = [
      { at: 0, from: 10, to: 4 },
      { at: 400 * S, from: 4, to: 6 },
    ];
    expect(holdReversal(6, 5, downThenUp, 500 * S, HOLD)).toEqual({
      workers: 6,
      note: 'held at 6: turned up 100 s ago, next turn after 5 min',
    });
  });
});
