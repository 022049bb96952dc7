/** The reflected polynomials of CRC-32 (zlib/IEEE) and CRC-32C (Castagnoli, iSCSI). */
export const CRC32_POLYNOMIAL = 0xedb88320;
export const CRC32C_POLYNOMIAL = 0x82f63b78;

/**
 * CRC-32 (the zlib/IEEE polynomial) of A followed by B, from crc(A), crc(B) and B's length: zlib's
 * crc32_combine, which appends len2 zero bytes to crc1 by repeated squaring of the GF(2) operator
 * matrix for one zero bit. Lets the worker report the whole object's CRC-32 from the part CRCs it
 * computed while streaming, without reading the object again.
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  return crcCombine(CRC32_POLYNOMIAL, crc1, crc2, len2);
}

/** crc32Combine for any reflected 32-bit CRC with init and final XOR of all ones (CRC-32C too). */
export function crcCombine(polynomial: number, crc1: number, crc2: number, len2: number): number {
  if (!Number.isSafeInteger(len2) || len2 < 0) throw new RangeError(`invalid length ${len2}`);
  if (len2 === 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  // The operator for one zero bit: the polynomial in row 0, then a shift.
  odd[0] = polynomial;
  for (let n = 1, row = 1; n < 32; n++, row *= 2) odd[n] = row;
  gf2MatrixSquare(even, odd); // two zero bits
  gf2MatrixSquare(odd, even); // four zero bits
  let crc = crc1 >>> 0;
  // Lengths go past 2^31 (parts up to 5 GiB), so halve with arithmetic, not bit shifts.
  let remaining = len2;
  do {
    gf2MatrixSquare(even, odd);
    if (remaining % 2 === 1) crc = gf2MatrixTimes(even, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
    gf2MatrixSquare(odd, even);
    if (remaining % 2 === 1) crc = gf2MatrixTimes(odd, crc);
    remaining = Math.floor(remaining / 2);
  } while (remaining !== 0);
  return (crc ^ crc2) >>> 0;
}

/** CRC-32 of the concatenation of pieces given as (crc, length) in order. */
export function crc32CombineAll(pieces: Iterable<{ crc32: number; size: number }>): number {
  let crc = 0;
  for (const piece of pieces) crc = crc32Combine(crc, piece.crc32, piece.size);
  return crc;
}

function gf2MatrixTimes(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  let v = vector >>> 0;
  for (let i = 0; v !== 0; i++, v >>>= 1) {
    if (v & 1) sum ^= matrix[i] ?? 0;
  }
  return sum >>> 0;
}

function gf2MatrixSquare(square: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2MatrixTimes(matrix, matrix[n] ?? 0);
}

/** `crc32:<8 hex>`, the form results carry. */
export function formatCrc32(crc: number): string {
  return `crc32:${(crc >>> 0).toString(16).padStart(8, '0')}`;
}
