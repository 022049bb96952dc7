import { describe, expect, it } from 'vitest';
import { parseContentRange } from './content-range.ts';

describe('parseContentRange', () => {
  it('parses a satisfied range with a known size', () => {
    expect(parseContentRange('bytes 0-0/1234')).toEqual({ kind: 'range', start: 0, end: 0, size: 1234 });
    expect(parseContentRange('bytes 8388608-16777215/104857600')).toEqual({
      kind: 'range',
      start: 8_388_608,
      end: 16_777_215,
      size: 104_857_600,
    });
  });

  it('parses an unknown total and the unsatisfied form', () => {
    expect(parseContentRange('bytes 5-9/*')).toEqual({ kind: 'range', start: 5, end: 9, size: null });
    expect(parseContentRange('bytes */0')).toEqual({ kind: 'unsatisfied', size: 0 });
  });

  it('handles sizes beyond 2^32', () => {
    expect(parseContentRange('bytes 0-0/5497558138880')).toMatchObject({ size: 5_497_558_138_880 });
  });

  it('rejects malformed and inconsistent headers', () => {
    for (const value of [
      undefined,
      '',
      'bytes',
      'items 0-1/2',
      'bytes 0-/10',
      'bytes -5/10',
      'bytes 9-5/10',
      'bytes 0-10/10',
      'bytes 0-1/x',
    ]) {
      expect(parseContentRange(value)).toBeNull();
    }
  });
});
