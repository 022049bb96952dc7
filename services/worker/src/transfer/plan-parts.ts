/** S3's multipart limits: https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html */
export const MIB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MIB;
export const MAX_PART_SIZE = 5 * 1024 * MIB;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MIB;
export const DEFAULT_PART_SIZE = 8 * MIB;

/** One part of a multipart upload: bytes start..end of the source, both inclusive (as in a Range header). */
export interface PartRange {
  partNumber: number;
  start: number;
  end: number;
}

/**
 * The part size for an object of `size` bytes: the preferred size clamped to S3's limits, grown to a
 * whole number of MiB when the object would otherwise need more than 10,000 parts, and rounded up to
 * a multiple of `alignment` (a whole-file digest hashed in blocks wants parts of whole blocks).
 */
export function choosePartSize(size: number, preferred: number = DEFAULT_PART_SIZE, alignment = 1): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid object size ${size}`);
  if (size > MAX_OBJECT_SIZE) throw new RangeError(`object of ${size} bytes exceeds S3's 5 TiB limit`);
  let partSize = Math.min(Math.max(Math.floor(preferred), MIN_PART_SIZE), MAX_PART_SIZE);
  if (Math.ceil(size / partSize) > MAX_PARTS) partSize = Math.ceil(size / MAX_PARTS / MIB) * MIB;
  // Alignments in use (1 byte, 4 MiB) divide 5 GiB, so rounding up never passes the maximum.
  return Math.ceil(partSize / alignment) * alignment;
}

/** Splits `size` bytes into parts of `partSize` (the last one shorter). A 0-byte object has no parts. */
export function planParts(size: number, partSize: number): PartRange[] {
  if (!Number.isSafeInteger(partSize) || partSize <= 0) throw new RangeError(`invalid part size ${partSize}`);
  const parts: PartRange[] = [];
  for (let start = 0, partNumber = 1; start < size; start += partSize, partNumber++) {
    parts.push({ partNumber, start, end: Math.min(start + partSize, size) - 1 });
  }
  if (parts.length > MAX_PARTS) throw new RangeError(`${parts.length} parts exceed S3's ${MAX_PARTS}`);
  return parts;
}

export function partLength(part: PartRange): number {
  return part.end - part.start + 1;
}
