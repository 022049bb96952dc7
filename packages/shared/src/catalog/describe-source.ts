import type { StoredSource } from './stored-import-request.ts';

/**
 * The source as an API response may show it: which secrets were given (header names, credential
 * fields, that an externalId was), never their values. Works from the stored form, so nothing is
 * opened to answer a GET.
 */
export function describeSource(source: StoredSource): Record<string, unknown> {
  switch (source.type) {
    case 'http':
      return {
        type: 'http',
        url: redactUrlCredentials(source.url),
        headerNames: source.headers?.fields ?? [],
        ...(source.expected ? { expected: source.expected } : {}),
      };
    case 's3': {
      // The role's ARN is no secret (the source's owner shares it to be assumed); its externalId is.
      const { externalId, ...rest } = source;
      return externalId === undefined ? rest : { ...rest, externalIdGiven: true };
    }
    case 'dropbox':
      return {
        type: 'dropbox',
        path: source.path,
        credentials: source.credentials.fields,
        ...(source.expected ? { expected: source.expected } : {}),
      };
    case 'gdrive': {
      const { credentials, ...rest } = source;
      return { ...rest, credentials: credentials.fields };
    }
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
