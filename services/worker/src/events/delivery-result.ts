import { isFerryError } from '@ferry/shared';

/** How one delivery attempt to one sink went; `reason` is short and holds no secret. */
export type DeliveryResult = { ok: true } | { ok: false; reason: string };

/**
 * Why an attempt failed, for the record and the log. Ferry's own errors (an address refused, a
 * sealed URL that does not open) are worded to hold no secret; anything else is described by its
 * code or name only, since a library's message may quote the URL with its token.
 */
export function failureReason(error: unknown, timeoutMs: number): string {
  if (isFerryError(error)) return error.message;
  if (!(error instanceof Error)) return 'network error';
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = (error as { code?: unknown }).code;
  const cause = (error.cause as { code?: unknown } | undefined)?.code;
  if (typeof cause === 'string') return `network error ${cause}`;
  if (typeof code === 'string') return `network error ${code}`;
  return `network error ${error.name}`;
}
