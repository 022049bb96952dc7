import { ErrorCode } from '@ferry/shared';
import {
  findFerryError,
  permanentError,
  TransferError,
  toTransferError,
  transientError,
} from '../errors/transfer-error.ts';
import { HttpProtocolError } from './http1-response.ts';

/** undici's codes for an answer that breaks HTTP/1.1 (its parser's HPE_* codes, and a head too big). */
const UNDICI_PROTOCOL_CODES = /^(?:HPE_|UND_ERR_HEADERS_OVERFLOW$)/;

/** An answer that breaks HTTP/1.1, as our client or undici's parser (which sets no code on its errors) says. */
function isProtocolError(error: unknown, code: unknown): boolean {
  if (error instanceof HttpProtocolError) return true;
  if (error instanceof Error && error.name === 'HTTPParserError') return true;
  return typeof code === 'string' && UNDICI_PROTOCOL_CODES.test(code);
}

/**
 * A failure reaching or reading the source: our own policy errors keep their code (an SSRF refusal
 * is permanent); an answer that breaks HTTP is SOURCE_PROTOCOL_ERROR and permanent (the same server
 * answers the same way again); anything else on the wire (reset, refused, timeout, a body cut off)
 * is transient.
 */
export function toSourceError(error: unknown): TransferError {
  if (error instanceof TransferError || findFerryError(error)) return toTransferError(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (isProtocolError(error, code)) {
    const detail = error instanceof Error ? error.message : String(code);
    return permanentError(ErrorCode.SOURCE_PROTOCOL_ERROR, `source broke HTTP/1.1: ${detail}`, error);
  }
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return transientError(ErrorCode.SOURCE_NETWORK_ERROR, `source connection failed: ${detail}`, error);
}
