import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cCombine } from './crc32c.ts';

/** Bit by bit, straight from the definition: what the table-driven version must agree with. */
function slowCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe('crc32c', () => {
  it('gives the standard check value and the RFC 3720 examples', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('agrees with the bitwise definition for every length 0..100 and at any unaligned offset', () => {
    const data = randomBytes(200);
    for (let length = 0; length <= 100; length++) {
      for (const offset of [0, 1, 3, 7]) {
        const slice = data.subarray(offset, offset + length);
        expect(crc32c(slice), `length ${length} offset ${offset}`).toBe(slowCrc32c(slice));
      }
    }
  });

  it('continues from a previous CRC, and combines two pieces from their CRCs and the second length', () => {
    for (const [a, b] of [
      [0, 0],
      [0, 9],
      [9, 0],
      [1000, 3],
      [65_536, 70_001],
    ] as const) {
      const first = randomBytes(a);
      const second = randomBytes(b);
      const whole = crc32c(Buffer.concat([first, second]));
      expect(crc32c(second, crc32c(first))).toBe(whole);
      expect(crc32cCombine(crc32c(first), crc32c(second), b)).toBe(whole);
    }
  });
});
