/**
 * The error taxonomy. Every failure Ferry reports carries one of these stable codes; clients and
 * operators match on the code, never on the message.
 */
export const ErrorCode = {
  // Request errors (4xx from the API).
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INVALID_JSON: 'INVALID_JSON',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  IMPORT_FINISHED: 'IMPORT_FINISHED',
  SOURCE_ADDRESS_REFUSED: 'SOURCE_ADDRESS_REFUSED',
  SOURCE_HOST_UNRESOLVED: 'SOURCE_HOST_UNRESOLVED',
  /** The notify URL's host is, or resolves to, an address the SSRF policy refuses. */
  NOTIFY_ADDRESS_REFUSED: 'NOTIFY_ADDRESS_REFUSED',
  NOTIFY_HOST_UNRESOLVED: 'NOTIFY_HOST_UNRESOLVED',
  /** A job's manifest object cannot be read (missing, no access) or changed since the job began. */
  MANIFEST_UNREADABLE: 'MANIFEST_UNREADABLE',
  JOB_FINISHED: 'JOB_FINISHED',
  /** A job's report was asked for before the job ended. */
  JOB_NOT_FINISHED: 'JOB_NOT_FINISHED',
  /** A dependency (Redis, the queue) did not answer in time: retry later (503). */
  UNAVAILABLE: 'UNAVAILABLE',
  // Transfer outcomes (recorded on the import).
  SOURCE_NOT_FOUND: 'SOURCE_NOT_FOUND',
  SOURCE_ACCESS_DENIED: 'SOURCE_ACCESS_DENIED',
  /** The provider refused the credentials (revoked or invalid token, refused refresh token). */
  SOURCE_UNAUTHORIZED: 'SOURCE_UNAUTHORIZED',
  SOURCE_CLIENT_ERROR: 'SOURCE_CLIENT_ERROR',
  SOURCE_SERVER_ERROR: 'SOURCE_SERVER_ERROR',
  SOURCE_NETWORK_ERROR: 'SOURCE_NETWORK_ERROR',
  /**
   * The source's answer breaks HTTP/1.1 (a garbled status line or header, conflicting framing, a
   * head or trailer section past the limits, a content coding that was not asked for): permanent,
   * since a server that speaks so answers the same way again.
   */
  SOURCE_PROTOCOL_ERROR: 'SOURCE_PROTOCOL_ERROR',
  SOURCE_SIZE_MISMATCH: 'SOURCE_SIZE_MISMATCH',
  SOURCE_CHANGED: 'SOURCE_CHANGED',
  DESTINATION_ERROR: 'DESTINATION_ERROR',
  /**
   * The S3 endpoint cannot keep the integrity guarantee the configured S3_CHECKSUM_MODE relies on
   * (it does not decode aws-chunked trailers, its ETags are not MD5s): nothing was completed.
   */
  DESTINATION_UNSUPPORTED: 'DESTINATION_UNSUPPORTED',
  SIZE_MISMATCH: 'SIZE_MISMATCH',
  /** The bytes read do not have the checksum the source states for them. */
  CHECKSUM_MISMATCH: 'CHECKSUM_MISMATCH',
  CANCELED: 'CANCELED',
  /** The workers running the import were lost (killed, out of memory, host gone) too many times. */
  WORKER_LOST: 'WORKER_LOST',
  /** A provider account is paused for longer than a request waits inline: the job is delayed, not failed. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A sealed secret did not open: altered, or sealed with a key this service does not hold. */
  SECRET_UNREADABLE: 'SECRET_UNREADABLE',
  INTERNAL: 'INTERNAL',
  // Start-up.
  CONFIG_INVALID: 'CONFIG_INVALID',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorDetail {
  field: string;
  message: string;
}

export class FerryError extends Error {
  readonly code: ErrorCode;
  /** HTTP status when the error reaches an API client. */
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { status?: number; details?: ErrorDetail[]; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: ErrorDetail[] } } {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

export function isFerryError(value: unknown): value is FerryError {
  return value instanceof FerryError;
}
