import { ErrorCode } from '@ferry/shared';
import { TransferError } from '../errors/transfer-error.ts';

/**
 * A provider account is paused for longer than a request may wait inline. Not a failure of the
 * import: the job is delayed until `retryAt` and keeps its attempts.
 */
export class RateLimitedError extends TransferError {
  /** When the pause ends, in ms since the epoch. */
  readonly retryAt: number;

  constructor(key: string, retryAt: number) {
    super(ErrorCode.RATE_LIMITED, `${key} is rate limited until ${new Date(retryAt).toISOString()}`, {
      retryable: true,
    });
    this.name = 'RateLimitedError';
    this.retryAt = retryAt;
  }
}
