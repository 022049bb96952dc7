/**
 * What a provider call or a plain HTTP request throws when the provider or origin refused it for its
 * rate limit (429, 503 with Retry-After, Drive's rateLimitExceeded 403). The fleet limiter catches it,
 * pauses the account or host for every worker and tries the call again; it never reaches the
 * transfer engine as a failure.
 */
export class ProviderThrottled extends Error {
  /** The provider's Retry-After, or null when it did not say. */
  readonly retryAfterMs: number | null;

  constructor(retryAfterMs: number | null, options: { cause?: unknown } = {}) {
    super(
      retryAfterMs === null ? 'provider rate limit' : `provider rate limit: retry after ${retryAfterMs} ms`,
      options,
    );
    this.name = 'ProviderThrottled';
    this.retryAfterMs = retryAfterMs;
  }
}
