import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '@ferry/shared';
import { type TransferError, toTransferError } from '../errors/transfer-error.ts';
import { type BackoffPolicy, backoffDelay } from './backoff.ts';

export interface RetryOptions {
  tries: number;
  policy: BackoffPolicy;
  random: () => number;
  /** Abort: stop at once, including a backoff sleep in progress. */
  signal: AbortSignal;
  /** Stop: finish the try in progress but start no new one (a draining worker). */
  stop?: AbortSignal;
  /** Extra veto on retrying an otherwise retryable failure. */
  retryIf?: (error: TransferError) => boolean;
  onRetry?: (error: TransferError, attempt: number, delayMs: number) => void;
}

/** Runs `task` until it succeeds, retrying transient failures with capped, jittered backoff. */
export async function withRetries<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task(attempt);
    } catch (error) {
      if (options.signal.aborted) throw error;
      const failure = toTransferError(error);
      const retry =
        failure.retryable &&
        // The fleet limiter has already waited as long as a request may: the job is delayed instead.
        failure.code !== ErrorCode.RATE_LIMITED &&
        attempt < options.tries &&
        !options.stop?.aborted &&
        (options.retryIf?.(failure) ?? true);
      if (!retry) throw failure;
      const delayMs = backoffDelay(attempt, options.policy, options.random);
      options.onRetry?.(failure, attempt, delayMs);
      await sleep(delayMs, undefined, { signal: options.signal });
    }
  }
}
