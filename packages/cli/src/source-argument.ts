import type { Destination, Source } from '@ferry/shared';

const SOURCE_FORMS = 'an http(s):// URL, s3://bucket/key, dropbox:/path or gdrive:<file id>';

/**
 * Turns the CLI's `<source>` argument into a source definition: an http(s) URL, s3://bucket/key for
 * a server-side copy, `dropbox:/path/in/dropbox` or `gdrive:<file id>`. Provider credentials come
 * from the environment (never the command line, where `ps` and shell history would keep them):
 * DROPBOX_ACCESS_TOKEN, or DROPBOX_REFRESH_TOKEN with DROPBOX_APP_KEY and DROPBOX_APP_SECRET;
 * GDRIVE_ACCESS_TOKEN, or GDRIVE_REFRESH_TOKEN with GDRIVE_CLIENT_ID and GDRIVE_CLIENT_SECRET. An
 * S3 source is read with a role when S3_SOURCE_ROLE_ARN (and S3_SOURCE_EXTERNAL_ID) are set.
 */
export function parseSourceArgument(
  value: string,
  headers: Record<string, string>,
  env: Record<string, string | undefined> = process.env,
): Source {
  if (/^https?:\/\//i.test(value)) {
    return { type: 'http', url: value, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
  }
  if (value.startsWith('s3://')) {
    return {
      type: 's3',
      ...parseS3Url(value),
      ...given({ roleArn: env.S3_SOURCE_ROLE_ARN, externalId: env.S3_SOURCE_EXTERNAL_ID }),
    };
  }
  if (value.startsWith('dropbox:')) {
    return {
      type: 'dropbox',
      path: value.slice('dropbox:'.length),
      credentials: given({
        accessToken: env.DROPBOX_ACCESS_TOKEN,
        refreshToken: env.DROPBOX_REFRESH_TOKEN,
        appKey: env.DROPBOX_APP_KEY,
        appSecret: env.DROPBOX_APP_SECRET,
      }),
    };
  }
  if (value.startsWith('gdrive:')) {
    return {
      type: 'gdrive',
      fileId: value.slice('gdrive:'.length),
      credentials: given({
        accessToken: env.GDRIVE_ACCESS_TOKEN,
        refreshToken: env.GDRIVE_REFRESH_TOKEN,
        clientId: env.GDRIVE_CLIENT_ID,
        clientSecret: env.GDRIVE_CLIENT_SECRET,
      }),
    };
  }
  throw new Error(`unsupported source "${value}": give ${SOURCE_FORMS}`);
}

/** The credential fields that are set; the API names any that are missing. */
function given<T extends Record<string, string | undefined>>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== '')) as T;
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
