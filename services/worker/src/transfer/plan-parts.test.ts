import { describe, expect, it } from 'vitest';
import {
  choosePartSize,
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIB,
  MIN_PART_SIZE,
  partLength,
  planParts,
} from './plan-parts.ts';

const PART = 8 * MIB;

/** The plan covers 0..size-1 exactly once, in order, with consecutive part numbers. */
function expectContiguous(size: number, partSize: number): void {
  const parts = planParts(size, partSize);
  let next = 0;
  parts.forEach((part, index) => {
    expect(part.partNumber).toBe(index + 1);
    expect(part.start).toBe(next);
    expect(partLength(part)).toBeLessThanOrEqual(partSize);
    next = part.end + 1;
  });
  expect(next).toBe(size);
}

describe('planParts', () => {
  it('plans no parts for 0 bytes', () => {
    expect(planParts(0, PART)).toEqual([]);
  });

  it('plans one 1-byte part for 1 byte', () => {
    expect(planParts(1, PART)).toEqual([{ partNumber: 1, start: 0, end: 0 }]);
  });

  it('plans exactly one part when the size equals the part size', () => {
    expect(planParts(PART, PART)).toEqual([{ partNumber: 1, start: 0, end: PART - 1 }]);
  });

  it('plans full parts for an exact multiple of the part size', () => {
    const parts = planParts(3 * PART, PART);
    expect(parts).toHaveLength(3);
    expect(parts.map(partLength)).toEqual([PART, PART, PART]);
    expectContiguous(3 * PART, PART);
  });

  it('ends with a 1-byte part when one byte spills over', () => {
    const parts = planParts(2 * PART + 1, PART);
    expect(parts).toHaveLength(3);
    expect(parts.at(-1)).toEqual({ partNumber: 3, start: 2 * PART, end: 2 * PART });
  });

  it('plans 13 parts for 100 MiB in 8 MiB parts', () => {
    const parts = planParts(100 * MIB, PART);
    expect(parts).toHaveLength(13);
    expect(partLength(parts[12] ?? { partNumber: 0, start: 0, end: -1 })).toBe(4 * MIB);
    expectContiguous(100 * MIB, PART);
  });
});

describe('choosePartSize', () => {
  it('uses the preferred size, 8 MiB by default', () => {
    expect(choosePartSize(100 * MIB)).toBe(PART);
    expect(choosePartSize(100 * MIB, 16 * MIB)).toBe(16 * MIB);
  });

  it("never goes below S3's 5 MiB minimum or above its 5 GiB maximum", () => {
    expect(choosePartSize(100 * MIB, MIB)).toBe(MIN_PART_SIZE);
    expect(choosePartSize(100 * MIB, 6 * 1024 * MIB)).toBe(MAX_PART_SIZE);
  });

  it('grows the part size to a whole MiB when the object would need more than 10,000 parts', () => {
    const size = 10_000 * PART + 1;
    const partSize = choosePartSize(size);
    expect(partSize).toBe(9 * MIB);
    expect(partSize % MIB).toBe(0);
    expect(planParts(size, partSize).length).toBeLessThanOrEqual(MAX_PARTS);
  });

  it('keeps exactly 10,000 parts at the preferred size', () => {
    expect(choosePartSize(10_000 * PART)).toBe(PART);
    expect(planParts(10_000 * PART, PART)).toHaveLength(MAX_PARTS);
  });

  it('keeps every plan within S3 limits, whatever the size and the preference', () => {
    const sizes = [1, MIN_PART_SIZE, 10_000 * MIN_PART_SIZE + 1, 80 * 1024 * MIB + 17, MAX_OBJECT_SIZE];
    for (const size of sizes) {
      for (const preferred of [1, MIN_PART_SIZE, 8 * MIB + 0.5, 100 * MIB, 2 * MAX_PART_SIZE]) {
        const partSize = choosePartSize(size, preferred);
        expect(partSize).toBeGreaterThanOrEqual(MIN_PART_SIZE);
        expect(partSize).toBeLessThanOrEqual(MAX_PART_SIZE);
        expect(Math.ceil(size / partSize)).toBeLessThanOrEqual(MAX_PARTS);
        // A preference that already fits is kept (bar S3's bounds).
        if (
          Math.ceil(size / Math.min(Math.max(Math.floor(preferred), MIN_PART_SIZE), MAX_PART_SIZE)) <=
          MAX_PARTS
        ) {
          expect(partSize).toBe(Math.min(Math.max(Math.floor(preferred), MIN_PART_SIZE), MAX_PART_SIZE));
        }
      }
    }
  });

  it('fits a 5 TiB object into 10,000 parts and refuses anything larger', () => {
    const partSize = choosePartSize(MAX_OBJECT_SIZE);
    expect(partSize).toBe(525 * MIB);
    expect(Math.ceil(MAX_OBJECT_SIZE / partSize)).toBeLessThanOrEqual(MAX_PARTS);
    expect(() => choosePartSize(MAX_OBJECT_SIZE + 1)).toThrow(RangeError);
  });

  it('rounds up to whole blocks of an alignment (Dropbox hashes 4 MiB blocks)', () => {
    expect(choosePartSize(100 * MIB, 5 * MIB, 4 * MIB)).toBe(8 * MIB);
    expect(choosePartSize(100 * MIB, 8 * MIB, 4 * MIB)).toBe(8 * MIB);
    // 5 TiB needs 525 MiB parts; whole 4 MiB blocks make that 528 MiB, still within 10,000 parts.
    const partSize = choosePartSize(MAX_OBJECT_SIZE, 8 * MIB, 4 * MIB);
    expect(partSize).toBe(528 * MIB);
    expect(Math.ceil(MAX_OBJECT_SIZE / partSize)).toBeLessThanOrEqual(MAX_PARTS);
  });
});
