import { ErrorCode } from '@ferry/shared';
import type { Dispatcher } from 'undici';
import { permanentError, transientError } from '../../errors/transfer-error.ts';
import { sourceStatusError } from '../http-status.ts';
import type { TokenGrant } from './oauth-session.ts';
import { answerJson, callProvider, type ProviderAnswer } from './provider-call.ts';

export interface RefreshGrant {
  tokenUrl: string;
  refreshToken: string;
  clientId: string;
  clientSecret: string;
}

/**
 * OAuth 2.0's refresh_token grant (RFC 6749 §6), as Dropbox and Google both serve it. A refused
 * grant (revoked refresh token, wrong app) fails the import; `throttled` turns a 429 into the
 * limiter's pause. Nothing of the request or the answer reaches a message: both carry secrets.
 */
export async function refreshAccessToken(
  dispatcher: Dispatcher,
  grant: RefreshGrant,
  signal: AbortSignal,
  options: { now: () => number; throttled: (answer: ProviderAnswer) => Error | null },
): Promise<TokenGrant> {
  const answer = await callProvider(
    dispatcher,
    grant.tokenUrl,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: grant.refreshToken,
        client_id: grant.clientId,
        client_secret: grant.clientSecret,
      }).toString(),
    },
    signal,
  );
  const throttled = options.throttled(answer);
  if (throttled) throw throttled;
  const body = answerJson(answer);
  if (answer.status === 400 || answer.status === 401) {
    const reason = typeof body?.error === 'string' ? ` (${body.error.replace(/[^\w.-]/g, '')})` : '';
    throw permanentError(ErrorCode.SOURCE_UNAUTHORIZED, `the provider refused the refresh token${reason}`);
  }
  if (answer.status !== 200) throw sourceStatusError(answer.status, 'a token refresh');
  const accessToken = body?.access_token;
  if (typeof accessToken !== 'string' || !accessToken) {
    throw transientError(
      ErrorCode.SOURCE_SERVER_ERROR,
      'the token endpoint answered without an access token',
    );
  }
  const expiresIn = typeof body?.expires_in === 'number' ? body.expires_in : null;
  return { accessToken, expiresAt: expiresIn === null ? null : options.now() + expiresIn * 1000 };
}
