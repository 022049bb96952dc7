import { ErrorCode } from '@ferry/shared';
import {
  findFerryError,
  permanentError,
  type TransferError,
  toTransferError,
  transientError,
} from '../errors/transfer-error.ts';

/** S3 error codes that a later attempt may not meet (throttling, server trouble, clock skew). */
const RETRYABLE_S3_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'ExpiredToken',
  'OperationAborted',
  'NoSuchUpload',
  // The bytes did not match the checksum sent with them: changed on the way, worth sending again.
  'BadDigest',
  // AWS: a conditional write raced another write to the key; the next try sees which one won.
  'ConditionalRequestConflict',
]);

interface S3ErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** The S3 error code of an SDK error (`NoSuchUpload`, `AccessDenied`...), or undefined. */
export function s3ErrorName(error: unknown): string | undefined {
  return (error as S3ErrorShape | null)?.$metadata ? (error as S3ErrorShape).name : undefined;
}

/** The HTTP status S3 answered an SDK call with, or undefined when there was no answer. */
export function s3Status(error: unknown): number | undefined {
  return (error as S3ErrorShape | null)?.$metadata?.httpStatusCode;
}

/** The upload vanished (aborted, expired, completed elsewhere): retrying its parts is pointless. */
export function isUploadGone(error: TransferError): boolean {
  return s3ErrorName(error.cause) === 'NoSuchUpload';
}

/**
 * Classifies a failed S3 call. Answers with a status decide: 5xx, 408, 429 and throttling codes are
 * transient, other 4xx (no such bucket, access denied) are permanent. No answer at all (reset,
 * refused, timeout) is transient.
 */
export function toDestinationError(error: unknown, action: string): TransferError {
  if (findFerryError(error)) return toTransferError(error);
  const shape = (error ?? {}) as S3ErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const name = shape.name ?? 'Error';
  const message = `S3 ${action} failed: ${name}${shape.message && shape.message !== name ? `: ${shape.message}` : ''}`;
  if (status === undefined) return transientError(ErrorCode.DESTINATION_ERROR, message, error);
  const retryable =
    status >= 500 || status === 408 || status === 429 || RETRYABLE_S3_CODES.has(name) || !!shape.$retryable;
  return retryable
    ? transientError(ErrorCode.DESTINATION_ERROR, message, error)
    : permanentError(ErrorCode.DESTINATION_ERROR, message, error);
}
