import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Base64, crc32FromBase64 } from '../sink/crc32-base64.ts';
import { crc32Combine, crc32CombineAll, formatCrc32 } from './crc32-combine.ts';

describe('crc32Combine', () => {
  it('equals zlib.crc32 of the concatenation', () => {
    for (const [a, b] of [
      [0, 0],
      [1, 1],
      [0, 17],
      [17, 0],
      [1000, 3],
      [65_536, 65_537],
      [3, 1_000_000],
    ] as const) {
      const first = randomBytes(a);
      const second = randomBytes(b);
      expect(crc32Combine(crc32(first), crc32(second), b)).toBe(crc32(Buffer.concat([first, second])));
    }
  });

  it('combines many pieces in order', () => {
    const pieces = [randomBytes(10), randomBytes(0), randomBytes(4096), randomBytes(1), randomBytes(777)];
    const combined = crc32CombineAll(pieces.map((p) => ({ crc32: crc32(p), size: p.length })));
    expect(combined).toBe(crc32(Buffer.concat(pieces)));
  });

  it('handles lengths beyond 2^31 and 2^32 (parts up to 5 GiB, objects up to 5 TiB)', () => {
    // Real data pins the operator for 1 MiB; each doubling up to 4 TiB must equal two halves.
    const head = randomBytes(100);
    const mib = Buffer.alloc(1024 * 1024, 7);
    expect(crc32Combine(crc32(head), crc32(mib), mib.length)).toBe(crc32(Buffer.concat([head, mib])));
    for (let length = 2 ** 21; length <= 2 ** 42; length *= 2) {
      const whole = crc32Combine(crc32(head), 0x12345678, length);
      const halves = crc32Combine(crc32Combine(crc32(head), 0, length / 2), 0x12345678, length / 2);
      expect(whole).toBe(halves);
    }
    const odd = 5 * 1024 ** 3 + 12_345;
    expect(crc32Combine(crc32Combine(1, 2, odd), 3, 7)).toBe(crc32Combine(1, crc32Combine(2, 3, 7), odd + 7));
  });

  it('formats and round-trips the S3 base64 form', () => {
    const crc = crc32(Buffer.from('hello world'));
    expect(formatCrc32(crc)).toBe('crc32:0d4a1185');
    expect(crc32FromBase64(crc32Base64(crc))).toBe(crc);
    expect(formatCrc32(0)).toBe('crc32:00000000');
  });
});
