import { ErrorCode } from '@ferry/shared';
import { findFerryError, TransferError, toTransferError, transientError } from '../errors/transfer-error.ts';

/**
 * A failure reaching or reading the source: our own policy errors keep their code (an SSRF refusal
 * is permanent); anything else on the wire (reset, refused, timeout) is transient.
 */
export function toSourceError(error: unknown): TransferError {
  if (error instanceof TransferError || findFerryError(error)) return toTransferError(error);
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return transientError(ErrorCode.SOURCE_NETWORK_ERROR, `source connection failed: ${detail}`, error);
}
