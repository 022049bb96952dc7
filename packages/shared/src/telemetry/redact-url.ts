/**
 * A URL as spans may show it: scheme, host, port and path only. Query strings carry signatures
 * (pre-signed S3 and CDN URLs), fragments and userinfo carry whatever the user put there; none of it
 * belongs in a trace.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return '';
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** A request target (`/a/b?c=d`) without its query. */
export function redactPath(path: string): string {
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}
