import { ErrorCode } from '@ferry/shared';
import { permanentError, type TransferError, transientError } from '../errors/transfer-error.ts';

/**
 * What an error status from the source means for the import: 5xx, 408 and 429 may pass (retry);
 * other 4xx will not (fail now).
 */
export function sourceStatusError(status: number, what: string): TransferError {
  const message = `source answered ${status} to ${what}`;
  if (status >= 500 || status === 408 || status === 429) {
    return transientError(
      status === 408 ? ErrorCode.SOURCE_NETWORK_ERROR : ErrorCode.SOURCE_SERVER_ERROR,
      message,
    );
  }
  if (status === 404 || status === 410) return permanentError(ErrorCode.SOURCE_NOT_FOUND, message);
  if (status === 401 || status === 403) return permanentError(ErrorCode.SOURCE_ACCESS_DENIED, message);
  return permanentError(ErrorCode.SOURCE_CLIENT_ERROR, message);
}
