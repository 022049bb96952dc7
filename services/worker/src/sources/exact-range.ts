import { ErrorCode } from '@ferry/shared';
import { permanentError, transientError } from '../errors/transfer-error.ts';
import { parseContentRange } from './content-range.ts';
import { type AnswerHeaders, headerValue } from './response-headers.ts';

/**
 * A 206 must be exactly bytes start..end of a file of `size` bytes: another total size means the
 * file changed (SOURCE_CHANGED); a garbled or different range, or a Content-Length that is not the
 * range's, is retried.
 */
export function checkExactRange(headers: AnswerHeaders, start: number, end: number, size: number): void {
  const stated = headerValue(headers, 'content-range');
  // Two Content-Ranges (even equal ones) is no statement of which bytes came.
  const range = Array.isArray(headers['content-range']) ? null : parseContentRange(stated);
  if (range?.kind === 'range' && range.size !== null && range.size !== size) {
    throw permanentError(
      ErrorCode.SOURCE_CHANGED,
      `source object changed during the import (size ${size} is now ${range.size})`,
    );
  }
  if (range?.kind !== 'range' || range.start !== start || range.end !== end) {
    throw transientError(
      ErrorCode.SOURCE_SIZE_MISMATCH,
      `source answered bytes ${start}-${end} with Content-Range "${stated ?? ''}"`,
    );
  }
  const length = headerValue(headers, 'content-length');
  if (length !== undefined && Number(length) !== end - start + 1) {
    throw transientError(
      ErrorCode.SOURCE_SIZE_MISMATCH,
      `source answered bytes ${start}-${end} with a Content-Length of ${length}`,
    );
  }
}
