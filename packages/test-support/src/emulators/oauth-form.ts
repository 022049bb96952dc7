import type { Exchange } from './exchange.ts';

export interface TokenRequest {
  grantType: string;
  refreshToken: string;
  clientId: string;
  clientSecret: string;
}

/**
 * The fields of an OAuth 2 token request: a form body, with the client's id and secret either in it
 * or in HTTP Basic auth (both providers take both). Null when the body is too large.
 */
export async function readTokenRequest(exchange: Exchange): Promise<TokenRequest | null> {
  const body = await exchange.body();
  if (body === null) return null;
  const form = new URLSearchParams(body.toString('utf8'));
  let clientId = form.get('client_id') ?? '';
  let clientSecret = form.get('client_secret') ?? '';
  const basic = /^Basic +(\S+) *$/i.exec(exchange.req.headers.authorization ?? '')?.[1];
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  return {
    grantType: form.get('grant_type') ?? '',
    refreshToken: form.get('refresh_token') ?? '',
    clientId,
    clientSecret,
  };
}
