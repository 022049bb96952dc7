import { createHash } from 'node:crypto';

/** Providers whose requests pass the fleet-wide limiter. */
export const LIMITED_PROVIDERS = ['dropbox', 'gdrive'] as const;
export type LimitedProvider = (typeof LIMITED_PROVIDERS)[number];

/**
 * The limiter key of one provider account, e.g. `dropbox:app:<appKey>` or `gdrive:token:<digest>`:
 * providers count requests per app or per user, so the caller picks the account part it knows.
 */
export function limitKey(provider: LimitedProvider, account: string): string {
  if (account === '') throw new Error('a limiter key needs an account');
  return `${provider}:${account}`;
}

/**
 * A stable, non-reversible account id for credentials without a known app id: keys end up in Redis,
 * logs and error messages, so they never hold the token itself.
 */
export function tokenAccount(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** The provider a limiter key belongs to, or null for a key limitKey did not make. */
export function providerOfKey(key: string): LimitedProvider | null {
  const provider = key.slice(0, key.indexOf(':'));
  return LIMITED_PROVIDERS.find((p) => p === provider) ?? null;
}

const HOST_KEY_PREFIX = 'http:host:';

/**
 * The limiter key of a plain HTTP origin, `http:host:<host>:<port>`: the URL's host as URL spells it
 * (lower case, IDNs in punycode, IPv6 in brackets) and its port, the scheme's default made explicit.
 * Never the path or query, which name files and may carry a signature.
 */
export function hostLimitKey(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${HOST_KEY_PREFIX}${url.hostname}:${port}`;
}

/** The `<host>:<port>` of an HTTP origin's limiter key, or null for a provider account's key. */
export function hostOfKey(key: string): string | null {
  return key.startsWith(HOST_KEY_PREFIX) ? key.slice(HOST_KEY_PREFIX.length) : null;
}
