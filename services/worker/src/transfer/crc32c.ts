import { CRC32C_POLYNOMIAL, crcCombine } from './crc32-combine.ts';

/** Eight 256-entry tables: slicing-by-8 takes eight bytes a step instead of one. */
const TABLES = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ CRC32C_POLYNOMIAL : crc >>> 1;
    first[n] = crc >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    const previous = tables[k - 1] as Uint32Array;
    const table = tables[k] as Uint32Array;
    for (let n = 0; n < 256; n++) {
      const value = previous[n] as number;
      table[n] = ((value >>> 8) ^ (first[value & 0xff] as number)) >>> 0;
    }
  }
  return tables;
}

/**
 * CRC-32C (Castagnoli) of `data`, continuing from `crc` (the CRC of the bytes before it), as
 * node:zlib's crc32 does for CRC-32. Node has no CRC-32C of its own; GCS states objects' CRC32C.
 */
export function crc32c(data: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let c = ~crc >>> 0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const low =
      (c ^
        ((data[i] as number) |
          ((data[i + 1] as number) << 8) |
          ((data[i + 2] as number) << 16) |
          ((data[i + 3] as number) << 24))) >>>
      0;
    c =
      (t7[low & 0xff] as number) ^
      (t6[(low >>> 8) & 0xff] as number) ^
      (t5[(low >>> 16) & 0xff] as number) ^
      (t4[low >>> 24] as number) ^
      (t3[data[i + 4] as number] as number) ^
      (t2[data[i + 5] as number] as number) ^
      (t1[data[i + 6] as number] as number) ^
      (t0[data[i + 7] as number] as number);
  }
  for (; i < data.length; i++) c = (t0[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C of A followed by B, from crc(A), crc(B) and B's length (see crcCombine). */
export function crc32cCombine(crc1: number, crc2: number, len2: number): number {
  return crcCombine(CRC32C_POLYNOMIAL, crc1, crc2, len2);
}
