import { z } from 'zod';

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

/** Tagged union on `type`; Dropbox, Google Drive and S3 sources join here. */
export const Source = z.discriminatedUnion('type', [HttpSource]);
export type Source = z.infer<typeof Source>;
export const SOURCE_TYPES = ['http'] as const;

/** The source as an API response may show it: which secrets were given, never their values. */
export function describeSource(source: Source): Record<string, unknown> {
  switch (source.type) {
    case 'http':
      return {
        type: 'http',
        url: redactUrlCredentials(source.url),
        headerNames: Object.keys(source.headers ?? {}),
      };
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
