import { z } from 'zod';

const BUCKET_SHAPE = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const IPV4_SHAPE = /^\d{1,3}(\.\d{1,3}){3}$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
export const MAX_KEY_BYTES = 1024;

/** Why `name` breaks S3's general-purpose bucket naming rules, or null when it follows them. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!BUCKET_SHAPE.test(name)) {
    return 'may hold only lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit';
  }
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (IPV4_SHAPE.test(name)) return 'must not be formatted as an IP address';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `must not start with the reserved prefix "${prefix}"`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `must not end with the reserved suffix "${suffix}"`;
  return null;
}

export const BucketName = z.string().superRefine((name, ctx) => {
  const problem = bucketNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: `bucket name ${problem}` });
});

export const ObjectKey = z
  .string()
  .min(1, 'key must not be empty')
  .refine((key) => Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES, {
    message: `key must be at most ${MAX_KEY_BYTES} bytes in UTF-8`,
  });

export const Destination = z.strictObject({ bucket: BucketName, key: ObjectKey });
export type Destination = z.infer<typeof Destination>;
