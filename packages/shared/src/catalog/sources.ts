import { z } from 'zod';
import { BucketName, ObjectKey } from './destination.ts';

/** Header names a client may not set on a source request: the transfer engine owns them. */
const ENGINE_OWNED_HEADERS = new Set([
  'host',
  'range',
  'if-range',
  'if-match',
  'connection',
  'content-length',
  'transfer-encoding',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const SourceHeaders = z
  .record(
    z.string().regex(HEADER_NAME, 'header name is not a valid HTTP token'),
    z
      .string()
      .max(8192)
      .regex(/^[^\r\n]*$/, 'header value must not contain line breaks'),
  )
  .superRefine((headers, ctx) => {
    for (const name of Object.keys(headers)) {
      if (ENGINE_OWNED_HEADERS.has(name.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `header "${name}" is set by Ferry and may not be given`,
        });
      }
    }
    if (Object.keys(headers).length > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 headers' });
  });

export const HttpSource = z.strictObject({
  type: z.literal('http'),
  url: z
    .string()
    .max(8192)
    .refine((value) => URL.canParse(value), 'url must be an absolute URL')
    .refine(
      (value) => !URL.canParse(value) || ['http:', 'https:'].includes(new URL(value).protocol),
      'url must use http or https',
    ),
  /** Sent with every request to the source, e.g. Authorization for a private URL. Secret: never echoed. */
  headers: SourceHeaders.optional(),
});
export type HttpSource = z.infer<typeof HttpSource>;

/**
 * An object in another S3 bucket, read with the worker's own AWS credentials. Bytes never pass
 * through the worker: parts are copied server-side (UploadPartCopy).
 */
export const S3Source = z.strictObject({
  type: z.literal('s3'),
  bucket: BucketName,
  key: ObjectKey,
  /** The source bucket's region when it differs from the worker's S3_REGION. */
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like us-east-1')
    .optional(),
  /** Copy this version of a versioned object rather than the latest. */
  versionId: z.string().min(1).max(1024).optional(),
});
export type S3Source = z.infer<typeof S3Source>;

/** Tagged union on `type`; Dropbox and Google Drive sources join here. */
export const Source = z.discriminatedUnion('type', [HttpSource, S3Source]);
export type Source = z.infer<typeof Source>;
export const SOURCE_TYPES = ['http', 's3'] as const;

/** The source as an API response may show it: which secrets were given, never their values. */
export function describeSource(source: Source): Record<string, unknown> {
  switch (source.type) {
    case 'http':
      return {
        type: 'http',
        url: redactUrlCredentials(source.url),
        headerNames: Object.keys(source.headers ?? {}),
      };
    case 's3':
      // Nothing secret: the worker's own credentials do the reading.
      return { ...source };
  }
}

function redactUrlCredentials(value: string): string {
  const url = new URL(value);
  if (url.username || url.password) {
    url.username = url.username ? 'redacted' : '';
    url.password = url.password ? 'redacted' : '';
  }
  return url.toString();
}
