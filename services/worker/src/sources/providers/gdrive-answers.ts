import { ErrorCode } from '@ferry/shared';
import { permanentError } from '../../errors/transfer-error.ts';
import { ProviderThrottled } from '../../limits/provider-throttled.ts';
import { sourceStatusError } from '../http-status.ts';
import { type AnswerHeaders, retryAfterMs } from '../response-headers.ts';
import { AccessTokenExpired } from './oauth-session.ts';
import { answerJson } from './provider-call.ts';

const RATE_LIMIT_REASONS = new Set([
  'userRateLimitExceeded',
  'rateLimitExceeded',
  'sharingRateLimitExceeded',
]);

/**
 * What a Google Drive error answer means (https://developers.google.com/drive/api/guides/handle-errors):
 * 429, or 403 with a rate-limit reason → the fleet pauses this account; 401 → the token is no good
 * (Google does not say whether it expired, so a refresh is tried when one is possible); 404 → no
 * such file (or not shared with this account); other 403s → access denied, with Drive's reason.
 */
export function gdriveFailure(
  status: number,
  headers: AnswerHeaders,
  body: string,
  what: string,
  now: number,
): Error {
  const reason = firstReason(body);
  if (status === 429 || (status === 403 && reason !== null && RATE_LIMIT_REASONS.has(reason))) {
    return new ProviderThrottled(retryAfterMs(headers, now));
  }
  if (status === 401) return new AccessTokenExpired();
  if (status === 403 && reason === 'cannotDownloadAbusiveFile') {
    return permanentError(
      ErrorCode.SOURCE_ACCESS_DENIED,
      'Google Drive flagged this file as malware or spam; set acknowledgeAbuse to import it anyway',
    );
  }
  if (status === 403) {
    return permanentError(
      ErrorCode.SOURCE_ACCESS_DENIED,
      `Google Drive refused ${what}${reason ? ` (${reason})` : ''}`,
    );
  }
  if (status === 404)
    return permanentError(ErrorCode.SOURCE_NOT_FOUND, `Google Drive has no such file (${what})`);
  return sourceStatusError(status, `Google Drive ${what}`);
}

/** `error.errors[0].reason` of Google's error body, kept to a safe token. */
function firstReason(body: string): string | null {
  const error = answerJson({ body })?.error as { errors?: { reason?: unknown }[] } | undefined;
  const reason = error?.errors?.[0]?.reason;
  return typeof reason === 'string' ? reason.replace(/[^\w]/g, '').slice(0, 100) : null;
}
