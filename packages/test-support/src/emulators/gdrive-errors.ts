import type { OutgoingHttpHeaders } from 'node:http';
import type { Exchange } from './exchange.ts';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
};

export interface DriveErrorDetail {
  reason: string;
  message: string;
  /** Default `global`. */
  domain?: string;
  location?: string;
  locationType?: 'header' | 'parameter';
  headers?: OutgoingHttpHeaders;
}

/** Answers in Google's JSON error shape: `{ error: { code, message, errors: [...], status } }`. */
export function sendDriveError(exchange: Exchange, code: number, detail: DriveErrorDetail): void {
  const { reason, message, domain = 'global', location, locationType, headers = {} } = detail;
  const item = { domain, reason, message, ...(location === undefined ? {} : { location, locationType }) };
  exchange.json(
    code,
    { error: { code, message, errors: [item], status: STATUS_NAMES[code] ?? 'UNKNOWN' } },
    headers,
  );
}

export function fileNotFound(exchange: Exchange, id: string): void {
  sendDriveError(exchange, 404, {
    reason: 'notFound',
    message: `File not found: ${id}.`,
    location: 'fileId',
    locationType: 'parameter',
  });
}
