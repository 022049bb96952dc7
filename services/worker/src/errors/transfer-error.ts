import { ErrorCode, FerryError, isFerryError } from '@ferry/shared';

/**
 * A failure of one import, with what should happen next: `retryable` failures are retried (a part
 * on its own, then the whole job from its checkpoint); the rest fail the import at once.
 */
export class TransferError extends FerryError {
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(code, message, { cause: options.cause });
    this.name = 'TransferError';
    this.retryable = options.retryable;
  }
}

export function permanentError(code: ErrorCode, message: string, cause?: unknown): TransferError {
  return new TransferError(code, message, { retryable: false, cause });
}

export function transientError(code: ErrorCode, message: string, cause?: unknown): TransferError {
  return new TransferError(code, message, { retryable: true, cause });
}

/** Codes from shared's address policy and resolver that are worth another try later. */
const RETRYABLE_SHARED_CODES = new Set<ErrorCode>([ErrorCode.SOURCE_HOST_UNRESOLVED]);

/** The first FerryError in an error's cause chain: undici and the SDK wrap what our hooks throw. */
export function findFerryError(error: unknown): FerryError | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    if (isFerryError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** Any error as a TransferError; unknown errors are INTERNAL and retryable (a bug should not lose work). */
export function toTransferError(error: unknown): TransferError {
  if (error instanceof TransferError) return error;
  const ferry = findFerryError(error);
  if (ferry instanceof TransferError) return ferry;
  if (ferry) {
    return new TransferError(ferry.code, ferry.message, {
      retryable: RETRYABLE_SHARED_CODES.has(ferry.code),
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return transientError(ErrorCode.INTERNAL, message, error);
}
