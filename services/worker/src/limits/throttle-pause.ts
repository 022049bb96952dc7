import type { BackoffPolicy } from '../transfer/backoff.ts';

/**
 * How long the fleet pauses an account after a throttle. The provider's Retry-After when it gave one
 * (a zero says nothing: obeying it would retry in a busy loop); otherwise capped exponential backoff
 * on the throttles in a row, with equal jitter: at least half the ceiling, because the pause holds
 * back the whole fleet at once and a near-zero draw would make it no pause at all.
 * `consecutive` is 1 for the first throttle.
 */
export function throttlePauseMs(
  consecutive: number,
  retryAfterMs: number | null,
  policy: BackoffPolicy,
  random: () => number,
): number {
  if (retryAfterMs !== null && retryAfterMs > 0) return Math.ceil(retryAfterMs);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, consecutive - 1));
  return Math.ceil(ceiling / 2 + random() * (ceiling / 2));
}
