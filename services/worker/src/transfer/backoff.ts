export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  baseMs: number;
  /** No delay ever exceeds this. */
  capMs: number;
}

/**
 * Capped exponential backoff with full jitter (a uniform delay below the exponential ceiling): spreads
 * the retries of many parts and workers that failed together, so they don't hit a recovering source
 * in lockstep. `attempt` is 1 for the first retry.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
