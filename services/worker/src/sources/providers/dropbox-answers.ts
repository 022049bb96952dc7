import { ErrorCode } from '@ferry/shared';
import { permanentError, type TransferError } from '../../errors/transfer-error.ts';
import { ProviderThrottled } from '../../limits/provider-throttled.ts';
import { sourceStatusError } from '../http-status.ts';
import { type AnswerHeaders, retryAfterMs } from '../response-headers.ts';
import { AccessTokenExpired } from './oauth-session.ts';
import { answerJson } from './provider-call.ts';

/**
 * What a Dropbox error answer means (https://www.dropbox.com/developers/documentation/http/documentation#error-handling):
 * 429 too_many_requests (and 503 with Retry-After) → the fleet pauses this account; 401
 * expired_access_token → refresh; other 401s → the credentials are no good; 409 → an endpoint
 * error such as path/not_found, which will not change on a retry.
 */
export function dropboxFailure(
  status: number,
  headers: AnswerHeaders,
  body: string,
  what: string,
  now: number,
): Error {
  const json = answerJson({ body });
  const summary = typeof json?.error_summary === 'string' ? json.error_summary : '';
  if (status === 429 || (status === 503 && headers['retry-after'] !== undefined)) {
    const error = json?.error as { retry_after?: unknown } | undefined;
    const stated = typeof error?.retry_after === 'number' ? error.retry_after * 1000 : null;
    return new ProviderThrottled(retryAfterMs(headers, now) ?? stated);
  }
  if (status === 401) {
    if (summary.startsWith('expired_access_token')) return new AccessTokenExpired();
    return permanentError(
      ErrorCode.SOURCE_UNAUTHORIZED,
      `Dropbox refused the access token${summary ? ` (${tagOf(summary)})` : ''}`,
    );
  }
  if (status === 409) return endpointError(summary, what);
  return sourceStatusError(status, `Dropbox ${what}`);
}

function endpointError(summary: string, what: string): TransferError {
  const tag = tagOf(summary);
  if (/\/not_found/.test(summary) || summary.startsWith('path/not_found')) {
    return permanentError(ErrorCode.SOURCE_NOT_FOUND, `Dropbox ${what}: ${tag}`);
  }
  return permanentError(ErrorCode.SOURCE_CLIENT_ERROR, `Dropbox ${what}: ${tag || 'endpoint error'}`);
}

/** `path/not_found/..` → `path/not_found`: the stable part of the summary, safe for messages. */
function tagOf(summary: string): string {
  return summary
    .replace(/\/?\.+$/, '')
    .replace(/[^\w/.-]/g, '')
    .slice(0, 200);
}

/**
 * Dropbox-API-Arg must be ASCII: JSON with every character from U+007F up escaped as \uXXXX
 * (https://www.dropbox.com/developers/reference/json-encoding).
 */
export function dropboxApiArg(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
