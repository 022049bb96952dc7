import { z } from 'zod';

/** The largest object S3 stores: 5 TiB. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/**
 * A digest as hex (any case) or as the base64 of its bytes, the two forms sources publish
 * (GCS's URL lists and object metadata give base64; most manifests give hex).
 */
function digestField(bytes: number) {
  const hex = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`);
  const base64Length = Math.ceil(bytes / 3) * 4;
  return z
    .string()
    .refine(
      (value) =>
        hex.test(value) ||
        (value.length === base64Length &&
          /^[A-Za-z0-9+/]+={0,2}$/.test(value) &&
          Buffer.from(value, 'base64').length === bytes),
      `must be ${bytes * 2} hex digits or the base64 of ${bytes} bytes`,
    )
    .optional();
}

/**
 * What the client says the source's bytes are. The worker checks every given field while the bytes
 * stream and fails the import with CHECKSUM_MISMATCH before completing when one does not hold, so
 * no object is made of the wrong bytes. `size` is checked against the source's metadata first.
 */
export const ExpectedChecksums = z
  .strictObject({
    size: z
      .number()
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .max(MAX_OBJECT_BYTES, 'must be at most 5 TiB, the largest S3 object')
      .optional(),
    md5: digestField(16),
    sha256: digestField(32),
    crc32c: digestField(4),
  })
  .refine((expected) => Object.values(expected).some((value) => value !== undefined), {
    message: 'give at least one of size, md5, sha256, crc32c',
  });
export type ExpectedChecksums = z.infer<typeof ExpectedChecksums>;

export const EXPECTED_DIGESTS = ['md5', 'sha256', 'crc32c'] as const;
export type ExpectedDigestName = (typeof EXPECTED_DIGESTS)[number];

/**
 * An expected digest in lower-case hex, whichever form it was given in: hex is 8, 32 or 64 digits,
 * base64 of the same digests 8 (ending in "=="), 24 or 44 characters, so the forms never collide.
 */
export function expectedDigestHex(value: string): string {
  return /^(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(value)
    ? value.toLowerCase()
    : Buffer.from(value, 'base64').toString('hex');
}
