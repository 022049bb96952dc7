import { ErrorCode } from '@ferry/shared';
import { type TransferError, transientError } from '../errors/transfer-error.ts';

/** The source sent more bytes than the part has: a garbled answer, worth another try. */
export function partTooLong(length: number): TransferError {
  return transientError(
    ErrorCode.SOURCE_SIZE_MISMATCH,
    `source sent more than the ${length} bytes of the part`,
  );
}

/** The source ended before the part did: a cut-off answer, worth another try. */
export function partTooShort(bytes: number, length: number): TransferError {
  return transientError(
    ErrorCode.SOURCE_SIZE_MISMATCH,
    `source ended after ${bytes} of the part's ${length} bytes`,
  );
}
