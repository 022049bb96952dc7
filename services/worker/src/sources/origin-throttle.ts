import { ProviderThrottled } from '../limits/provider-throttled.ts';
import { type AnswerHeaders, retryAfterMs } from './response-headers.ts';

/**
 * The throttle in a plain HTTP origin's answer, or null when there is none: 429 (Retry-After or not:
 * the origin said too many), or 503 with Retry-After (a 503 without one is an outage, retried as
 * one). The limiter pauses the origin's host for the whole fleet on it.
 *
 * Only an answer from the very host the limiter key names counts: a redirect elsewhere (a download
 * link to a CDN, or to a server the tenant runs) is not that host speaking, and letting it pause the
 * host would let any URL behind a shared redirector hold back every import from the redirector.
 */
export function originThrottle(
  status: number,
  headers: AnswerHeaders,
  fromKeyedHost: boolean,
  now: number,
): ProviderThrottled | null {
  if (!fromKeyedHost) return null;
  if (status === 429) return new ProviderThrottled(retryAfterMs(headers, now));
  if (status === 503 && headers['retry-after'] !== undefined) {
    return new ProviderThrottled(retryAfterMs(headers, now));
  }
  return null;
}
