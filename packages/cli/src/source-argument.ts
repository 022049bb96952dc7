import type { Destination, Source } from '@ferry/shared';

/**
 * Turns the CLI's `<source>` argument into a source definition: an http(s) URL, or s3://bucket/key
 * for a server-side copy. The provider schemes (dropbox:, gdrive:) join as their sources land.
 */
export function parseSourceArgument(value: string, headers: Record<string, string>): Source {
  if (/^https?:\/\//i.test(value)) {
    return { type: 'http', url: value, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
  }
  if (value.startsWith('s3://')) return { type: 's3', ...parseS3Url(value) };
  throw new Error(`unsupported source "${value}": give an http(s):// URL or s3://bucket/key`);
}

export function parseS3Url(value: string): Destination {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(value);
  if (!match?.[1] || !match[2]) throw new Error(`destination "${value}" must look like s3://bucket/key`);
  return { bucket: match[1], key: match[2] };
}

/** `--header "Name: value"` arguments into a header map. */
export function parseHeaderArguments(values: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const index = value.indexOf(':');
    // The argument may be a secret typed without its name: never echo it.
    if (index <= 0) throw new Error('a --header argument must look like "Name: value"');
    headers[value.slice(0, index).trim()] = value.slice(index + 1).trim();
  }
  return headers;
}
